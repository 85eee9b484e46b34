//! Events: one struct per message type of the `Message` hierarchy, the
//! `Event` enum over all of them, its fast tag dispatch and its accessors.

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::types::{self, Place, Presence};
use super::{docs, ident, Cx, EmitError};
use crate::curated::{Concern, CONCERNS};
use crate::ir::{Field, Model, TypeRef};

/// One row of the object table: in messages of type `type_wire`, an object of kind `kind` (an `ObjectKind`
/// variant) sits at the wire property path `path`, identified by its `key`.
struct ObjectRow {
    type_wire: String,
    kind: &'static str,
    path: Vec<String>,
    key: &'static str,
}

/// How deep the accessors look into nested models (e.g. `ChannelTransfer.refer_to.destination_channel`).
const MAX_DEPTH: usize = 3;

/// One message type as emitted: the concrete model
/// and its full field list (inherited first).
struct Message<'a> {
    model: &'a Model,
    fields: Vec<&'a Field>,
    ident: Ident,
}

/// `events.rs`.
pub(crate) fn emit(cx: &Cx<'_>) -> Result<TokenStream, EmitError> {
    let tree = &cx.api.events;
    let inherited_message: Vec<&Field> = tree
        .message
        .fields
        .iter()
        .filter(|f| f.wire_name != "type")
        .collect();
    let inherited_event: Vec<&Field> = inherited_message
        .iter()
        .copied()
        .chain(tree.event.fields.iter().filter(|f| f.wire_name != "type"))
        .collect();

    let mut msgs: Vec<Message<'_>> = Vec::new();
    let mut names = BTreeSet::new();
    let all = tree
        .messages
        .iter()
        .map(|m| (m, false))
        .chain(tree.events.iter().map(|m| (m, true)));
    for (model, is_event) in all {
        if !names.insert(model.rust_name.clone()) || model.rust_name == "Unknown" {
            return Err(EmitError::Collision(format!(
                "event type {} has the Rust name {}, which is taken",
                model.wire_name, model.rust_name
            )));
        }
        let base = if is_event {
            &inherited_event
        } else {
            &inherited_message
        };
        let own: BTreeSet<&str> = model.fields.iter().map(|f| f.wire_name.as_str()).collect();
        let fields = base
            .iter()
            .copied()
            .filter(|f| !own.contains(f.wire_name.as_str()))
            .chain(model.fields.iter().filter(|f| f.wire_name != "type"))
            .collect();
        msgs.push(Message {
            ident: ident(&model.rust_name, || format!("event {}", model.wire_name))?,
            model,
            fields,
        });
    }

    let structs = msgs
        .iter()
        .map(|m| emit_struct(cx, m))
        .collect::<Result<Vec<_>, _>>()?;
    let event_enum = emit_enum(cx, &msgs)?;

    Ok(quote! {
        //! The typed event stream.
        //!
        //! `Event` has one variant per message type of every spec version, each
        //! holding a struct with the common fields (`asterisk_id`; for events also
        //! `application` and `timestamp`) and its own. The `type` key is the variant
        //! itself: each struct's `TYPE` constant, `Event::type_name()`, and serde's
        //! `tag = "type"`, which writes it back when serialising.
        //!
        //! Decoding dispatches on `type` without decoding the object twice: the
        //! `type` value is read first (Asterisk sends it first) and the rest of the
        //! map goes straight into the variant's struct; keys that precede `type`
        //! are buffered, and only they. An unknown `type` becomes
        //! `Event::Unknown` with the raw JSON.
        #(#structs)*
        #event_enum
    })
}

fn emit_struct(cx: &Cx<'_>, m: &Message<'_>) -> Result<TokenStream, EmitError> {
    let name = &m.ident;
    let wire = &m.model.wire_name;
    let doc = types::model_doc(cx, m.model, &format!("The `{wire}` message."));
    let fields = m
        .fields
        .iter()
        .map(|f| types::field(cx, m.model, f, Place::Elsewhere))
        .collect::<Result<Vec<_>, _>>()?;
    let type_doc = format!(" The `type` of this message on the wire: `{wire}`.");
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "type", rename = #wire)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            #[doc = #type_doc]
            pub const TYPE: &'static str = #wire;
        }

        impl crate::events::EventKind for #name {
            const TYPE: &'static str = #wire;
            fn from_event(event: Event) -> Result<Self, Event> {
                match event {
                    Event::#name(e) => Ok(e),
                    other => Err(other),
                }
            }
            fn from_ref(event: &Event) -> Option<&Self> {
                match event {
                    Event::#name(e) => Some(e),
                    _ => None,
                }
            }
        }
    })
}

/// Finds the field named `wire` among a message's fields.
fn find<'a>(m: &Message<'a>, wire: &str) -> Option<&'a Field> {
    m.fields.iter().copied().find(|f| f.wire_name == wire)
}

fn emit_enum(cx: &Cx<'_>, msgs: &[Message<'_>]) -> Result<TokenStream, EmitError> {
    let idents: Vec<&Ident> = msgs.iter().map(|m| &m.ident).collect();
    let wires: Vec<&str> = msgs.iter().map(|m| m.model.wire_name.as_str()).collect();

    let variants = msgs.iter().map(|m| {
        let name = &m.ident;
        let mut paras = vec![format!("`{}`: {}", m.model.wire_name, summary(m.model))];
        paras.extend(docs::availability(&m.model.versions, &cx.all));
        let doc = docs::doc_attrs(paras);
        quote! { #doc #name(#name), }
    });

    // Common-field accessors.
    let accessor = |wire: &str, kind: Accessor| -> Vec<TokenStream> {
        msgs.iter()
            .map(|m| {
                let name = &m.ident;
                let expr = match find(m, wire) {
                    None => quote!(None),
                    Some(f) => {
                        let id =
                            ident(&f.rust_name, String::new).expect("checked by field emission");
                        let optional = types::presence(m.model, f) == Presence::Optional;
                        match (kind, optional) {
                            (Accessor::Str, false) => quote!(Some(e.#id.as_str())),
                            (Accessor::Str, true) => quote!(e.#id.as_deref()),
                            (Accessor::Ref, false) => quote!(Some(&e.#id)),
                            (Accessor::Ref, true) => quote!(e.#id.as_ref()),
                        }
                    }
                };
                let pat = if expr.to_string() == "None" {
                    quote!(_)
                } else {
                    quote!(e)
                };
                quote! { Self::#name(#pat) => #expr, }
            })
            .collect()
    };
    let asterisk_id_arms = accessor("asterisk_id", Accessor::Str);
    let application_arms = accessor("application", Accessor::Str);
    let timestamp_arms = accessor("timestamp", Accessor::Ref);

    let mut rows = Vec::new();
    let concerns = CONCERNS
        .iter()
        .filter_map(|c| concern_accessors(cx, msgs, c, &mut rows).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let object_table = object_table(msgs, &rows);

    let decode_arms = msgs.iter().map(|m| {
        let name = &m.ident;
        let wire = &m.model.wire_name;
        quote! { #wire => Self::#name(serde::Deserialize::deserialize(de(map))?), }
    });

    Ok(quote! {
        /// A message of the ARI event stream.
        ///
        /// Decode it with serde (`serde_json::from_str::<Event>(text)`); serialising gives
        /// back the JSON it came from (unknown keys aside). A message whose `type` this
        /// SDK does not know decodes to [`Event::Unknown`] with the full JSON; a message
        /// that is not a JSON object, has no `type`, or does not fit its type's fields is
        /// an error.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        // Variants are decoded once and matched by value; boxing them would cost an
        // allocation per event and rule out nested patterns.
        #[allow(clippy::large_enum_variant)]
        pub enum Event {
            #(#variants)*
            /// A message whose `type` this SDK does not know.
            Unknown(UnknownEvent),
        }

        /// A message with a `type` this SDK does not know, kept whole.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct UnknownEvent {
            /// The message's `type`.
            pub type_name: String,
            /// The whole message as received, `type` included.
            pub raw: serde_json::Map<String, serde_json::Value>,
        }

        impl Event {
            /// The message's `type`, e.g. `StasisStart`.
            pub fn type_name(&self) -> &str {
                match self {
                    #(Self::#idents(_) => #idents::TYPE,)*
                    Self::Unknown(e) => &e.type_name,
                }
            }

            /// Every `type` this SDK decodes into a typed variant.
            pub const TYPE_NAMES: &'static [&'static str] = &[#(#wires),*];

            /// The id of the Asterisk instance that sent the message, if present.
            pub fn asterisk_id(&self) -> Option<&str> {
                match self {
                    #(#asterisk_id_arms)*
                    Self::Unknown(e) => e.raw.get("asterisk_id").and_then(serde_json::Value::as_str),
                }
            }

            /// The application the event was sent to (`None` for messages that are not events).
            pub fn application(&self) -> Option<&str> {
                match self {
                    #(#application_arms)*
                    Self::Unknown(e) => e.raw.get("application").and_then(serde_json::Value::as_str),
                }
            }

            /// When the event was raised (`None` for messages that are not events and for
            /// [`Event::Unknown`]).
            pub fn timestamp(&self) -> Option<&crate::Timestamp> {
                match self {
                    #(#timestamp_arms)*
                    Self::Unknown(_) => None,
                }
            }

            #(#concerns)*
        }

        #object_table

        impl serde::Serialize for Event {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(Self::#idents(e) => e.serialize(serializer),)*
                    Self::Unknown(e) => e.raw.serialize(serializer),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for Event {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::__private::deserialize_tagged(deserializer)
            }
        }

        impl<'de> crate::__private::Tagged<'de> for Event {
            const EXPECTING: &'static str = "an ARI message (a JSON object with a `type`)";

            fn decode<A: serde::de::MapAccess<'de>>(
                type_name: &str,
                map: A,
            ) -> Result<Result<Self, A>, A::Error> {
                let de = serde::de::value::MapAccessDeserializer::new;
                Ok(Ok(match type_name {
                    #(#decode_arms)*
                    _ => return Ok(Err(map)),
                }))
            }

            fn unknown(type_name: String, raw: serde_json::Map<String, serde_json::Value>) -> Self {
                Self::Unknown(UnknownEvent { type_name, raw })
            }
        }
    })
}

#[derive(Clone, Copy)]
enum Accessor {
    Str,
    Ref,
}

/// The first sentence-ish line of a model's description, escaped.
fn summary(m: &Model) -> String {
    let d = docs::escape(&m.description);
    let first = d.lines().next().unwrap_or("").trim();
    if first.is_empty() {
        "an ARI message.".to_owned()
    } else {
        first.to_owned()
    }
}

/// One step of a path from an event struct to a concerned model.
#[derive(Clone)]
struct Step {
    ident: Ident,
    wire: String,
    presence: Presence,
    list: bool,
}

/// Finds paths (within one message) to every field typed `target` or
/// `List[target]`, looking through other models up to [`MAX_DEPTH`].
struct PathFinder<'c, 'a> {
    cx: &'c Cx<'a>,
    target: &'c str,
    prefix: Vec<Step>,
    visiting: Vec<String>,
    out: Vec<Vec<Step>>,
}

impl PathFinder<'_, '_> {
    fn walk(&mut self, owner: &Model, fields: &[&Field], depth: usize) -> Result<(), EmitError> {
        for f in fields {
            let (model_name, list) = match &f.ty {
                TypeRef::Model(n) => (n, false),
                TypeRef::List(inner) => match inner.as_ref() {
                    TypeRef::Model(n) => (n, true),
                    _ => continue,
                },
                _ => continue,
            };
            let step = Step {
                wire: f.wire_name.clone(),
                ident: ident(&f.rust_name, || {
                    format!("{}.{}", owner.wire_name, f.wire_name)
                })?,
                presence: types::presence(owner, f),
                list,
            };
            if model_name == self.target {
                let mut p = self.prefix.clone();
                p.push(step);
                self.out.push(p);
                continue;
            }
            let is_concern = CONCERNS.iter().any(|c| c.model == model_name);
            if is_concern || depth + 1 >= MAX_DEPTH || self.visiting.contains(model_name) {
                continue;
            }
            let Some(inner) = self.cx.api.models.get(model_name) else {
                continue;
            };
            self.prefix.push(step);
            self.visiting.push(model_name.clone());
            let inner_fields: Vec<&Field> = inner.fields.iter().collect();
            self.walk(inner, &inner_fields, depth + 1)?;
            self.visiting.pop();
            self.prefix.pop();
        }
        Ok(())
    }
}

/// An iterator expression over `&Target` for one path rooted at `e`.
fn path_iter(path: &[Step]) -> TokenStream {
    fn one(recv: TokenStream, s: &Step) -> TokenStream {
        let f = &s.ident;
        match (s.presence, s.list) {
            (Presence::Required, false) => quote!(std::iter::once(&#recv.#f)),
            (Presence::Optional, true) => quote!(#recv.#f.iter().flatten()),
            _ => quote!(#recv.#f.iter()),
        }
    }
    let mut expr = one(quote!(e), &path[0]);
    for s in &path[1..] {
        let inner = one(quote!(x), s);
        expr = quote!(#expr.flat_map(|x| #inner));
    }
    expr
}

fn concern_accessors(
    cx: &Cx<'_>,
    msgs: &[Message<'_>],
    &Concern {
        model: target,
        id_field,
        models_accessor: models_fn,
        ids_accessor: ids_fn,
        noun,
        object_kind: kind,
    }: &Concern,
    rows: &mut Vec<ObjectRow>,
) -> Result<Option<TokenStream>, EmitError> {
    let Some(target_model) = cx.api.models.get(target) else {
        return Ok(None);
    };
    let Some(idf) = target_model.fields.iter().find(|f| f.wire_name == id_field) else {
        return Ok(None);
    };
    let target_ty = ident(&target_model.rust_name, || format!("model {target}"))?;
    let id_ident = ident(&idf.rust_name, || format!("{target}.{id_field}"))?;
    let id_expr = match (types::presence(target_model, idf), &idf.ty) {
        (Presence::Required, TypeRef::String) => quote!(.map(|m| m.#id_ident.as_str())),
        (Presence::Optional, TypeRef::String) => quote!(.filter_map(|m| m.#id_ident.as_deref())),
        _ => return Ok(None),
    };

    let mut arms = Vec::new();
    for m in msgs {
        let mut finder = PathFinder {
            cx,
            target,
            prefix: Vec::new(),
            visiting: Vec::new(),
            out: Vec::new(),
        };
        finder.walk(m.model, &m.fields, 0)?;
        let out = finder.out;
        rows.extend(out.iter().map(|p| ObjectRow {
            type_wire: m.model.wire_name.clone(),
            kind,
            path: p.iter().map(|s| s.wire.clone()).collect(),
            key: id_field,
        }));
        let name = &m.ident;
        let body = match out.split_first() {
            None => continue,
            Some((first, rest)) => {
                let first = path_iter(first);
                let rest = rest.iter().map(|p| path_iter(p));
                quote!(#first #(.chain(#rest))*.collect())
            }
        };
        arms.push(quote! { Self::#name(e) => #body, });
    }
    let models_fn = Ident::new(models_fn, proc_macro2::Span::call_site());
    let ids_fn = Ident::new(ids_fn, proc_macro2::Span::call_site());
    let models_doc = format!(
        " Every {noun} this message carries, in field order, including those nested in other \
         models (such as a transfer's `refer_to`); empty for [`Event::Unknown`]."
    );
    let ids_doc = format!(
        " The `{id_field}` of every {noun} this message carries (see [`Self::{models_fn}`])."
    );
    let catch_all = (arms.len() < msgs.len()).then(|| quote!(_ => Vec::new(),));
    let catch_all = catch_all.unwrap_or_else(|| quote!(Self::Unknown(_) => Vec::new(),));
    Ok(Some(quote! {
        #[doc = #models_doc]
        pub fn #models_fn(&self) -> Vec<&super::models::#target_ty> {
            match self {
                #(#arms)*
                #catch_all
            }
        }

        #[doc = #ids_doc]
        pub fn #ids_fn(&self) -> Vec<&str> {
            self.#models_fn().into_iter() #id_expr .collect()
        }
    }))
}

/// The object table: for every message type, where its objects are (the same paths the accessors above
/// follow), and the top-level paths any type uses, for types this SDK does not know. The untyped event and
/// the typed one's fallback route by it; the typed variants route by the accessors.
fn object_table(msgs: &[Message<'_>], rows: &[ObjectRow]) -> TokenStream {
    let row_tokens = |r: &ObjectRow| {
        let kind = Ident::new(r.kind, proc_macro2::Span::call_site());
        let path = &r.path;
        let key = r.key;
        quote! {
            crate::events::ObjectPath {
                kind: crate::events::ObjectKind::#kind,
                path: &[#(#path),*],
                key: #key,
            }
        }
    };
    let arms = msgs.iter().filter_map(|m| {
        let wire = &m.model.wire_name;
        let mine: Vec<TokenStream> = rows
            .iter()
            .filter(|r| &r.type_wire == wire)
            .map(row_tokens)
            .collect();
        (!mine.is_empty()).then(|| quote! { #wire => &[#(#mine),*], })
    });
    let without: Vec<&str> = msgs
        .iter()
        .map(|m| m.model.wire_name.as_str())
        .filter(|wire| !rows.iter().any(|r| r.type_wire == *wire))
        .collect();
    let without = (!without.is_empty()).then(|| quote! { #(#without)|* => &[], });
    let mut top: Vec<&ObjectRow> = rows.iter().filter(|r| r.path.len() == 1).collect();
    top.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    top.dedup_by(|a, b| a.kind == b.kind && a.path == b.path);
    let top = top.into_iter().map(row_tokens);
    quote! {
        impl Event {
            /// Where a message of type `type_name` carries the channels, bridges, playbacks and live
            /// recordings it concerns: the paths the typed accessors ([`Event::channel_ids`] and the
            /// others) follow, one table for the typed and the untyped event. For a type this SDK does
            /// not know, every top-level property that holds such an object in some known type.
            pub fn object_paths(type_name: &str) -> &'static [crate::events::ObjectPath] {
                match type_name {
                    #(#arms)*
                    #without
                    _ => UNKNOWN_TYPE_OBJECT_PATHS,
                }
            }
        }

        /// The top-level properties that hold an object in some known message type, by kind and name.
        const UNKNOWN_TYPE_OBJECT_PATHS: &[crate::events::ObjectPath] = &[#(#top),*];
    }
}
