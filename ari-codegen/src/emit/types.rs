//! Type references and the optional-field policy, shared by models and events.

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, ident, Cx, EmitError};
use crate::ir::{Field, Model, TypeRef};

/// Which module the emitted code sits in (decides how model paths are spelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// `models.rs`: models are siblings.
    Models,
    /// Any other module of `generated/`.
    Elsewhere,
}

/// The Rust type for a type reference.
///
/// `int`/`long` → `i64` (RTPstat counters exceed `i32`), `double` → `f64`,
/// `Date` → `crate::Timestamp`, `object` → `serde_json::Value` (the server
/// sends whatever JSON it likes there), `List[X]` → `Vec<X>`.
pub(crate) fn rust_type(
    cx: &Cx<'_>,
    ty: &TypeRef,
    place: Place,
    what: &dyn Fn() -> String,
) -> Result<TokenStream, EmitError> {
    Ok(match ty {
        TypeRef::String => quote!(String),
        TypeRef::Boolean => quote!(bool),
        TypeRef::Int | TypeRef::Long => quote!(i64),
        TypeRef::Double => quote!(f64),
        TypeRef::Date => quote!(crate::Timestamp),
        TypeRef::Object => quote!(serde_json::Value),
        TypeRef::List(inner) => {
            let inner = rust_type(cx, inner, place, what)?;
            quote!(Vec<#inner>)
        }
        TypeRef::Model(name) => {
            let model = cx.model(name, what)?;
            let id = ident(&model.rust_name, || format!("model {name}"))?;
            match place {
                Place::Models => quote!(#id),
                Place::Elsewhere => quote!(super::models::#id),
            }
        }
        TypeRef::Enum(name) => {
            let e = cx.enum_def(name, what)?;
            let id = ident(&e.rust_name, || format!("enum {name}"))?;
            quote!(super::enums::#id)
        }
    })
}

/// How a field is represented.
///
/// The policy (documented in the generated docs too):
/// - **Required**: the spec marks it `required` *and* it exists in every
///   version its model exists in → a plain `T`; a message without it is an
///   error.
/// - **Defaulted**: the same, but a list or free-form object → a plain
///   `Vec<T>` / `Value` that decodes as empty/null when absent (an empty
///   collection is the natural reading of "absent").
/// - **Optional**: everything else (not required, or missing from some
///   versions) → `Option<T>`, absent when `None`
///   and not serialised then, so a decoded message re-serialises to the same JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    Required,
    Defaulted,
    Optional,
}

pub(crate) fn presence(model: &Model, field: &Field) -> Presence {
    let in_every_version = model.versions.0.is_subset(&field.versions.0);
    if !field.required || !in_every_version {
        Presence::Optional
    } else if matches!(field.ty, TypeRef::List(_) | TypeRef::Object) {
        Presence::Defaulted
    } else {
        Presence::Required
    }
}

/// A self-reference (a field of model `M` typed `M`) must be boxed.
fn is_self_ref(model: &Model, ty: &TypeRef) -> bool {
    matches!(ty, TypeRef::Model(n) if *n == model.wire_name)
}

/// Emits one struct field: docs, serde attributes, `pub name: Type`.
///
/// `owner` is the model whose versions the field's availability is measured
/// against (the concrete event for inherited event fields).
pub(crate) fn field(
    cx: &Cx<'_>,
    owner: &Model,
    f: &Field,
    place: Place,
) -> Result<TokenStream, EmitError> {
    let what = || format!("{}.{}", owner.wire_name, f.wire_name);
    let name = ident(&f.rust_name, what)?;
    let mut ty = rust_type(cx, &f.ty, place, &what)?;
    if is_self_ref(owner, &f.ty) {
        ty = quote!(Box<#ty>);
    }
    let presence = presence(owner, f);

    let desc = if f.description.trim().is_empty() {
        format!("The `{}` field.", f.wire_name)
    } else {
        docs::escape(&f.description)
    };
    let mut paras = vec![desc];
    if let Some(av) = docs::availability(&f.versions, &owner.versions) {
        paras.push(av);
    }
    let doc = docs::doc_attrs(paras);

    let rename = (f.rust_name != f.wire_name).then_some(f.wire_name.as_str());
    let mut serde_args: Vec<TokenStream> = Vec::new();
    if let Some(wire) = rename {
        serde_args.push(quote!(rename = #wire));
    }
    let ty = match presence {
        Presence::Required => ty,
        Presence::Defaulted => {
            serde_args.push(quote!(default));
            ty
        }
        Presence::Optional => {
            serde_args.push(quote!(default));
            serde_args.push(quote!(skip_serializing_if = "Option::is_none"));
            quote!(Option<#ty>)
        }
    };
    let serde_attr = (!serde_args.is_empty()).then(|| quote!(#[serde(#(#serde_args),*)]));
    Ok(quote! {
        #doc
        #serde_attr
        pub #name: #ty,
    })
}

/// The paragraphs of a model's doc: description, availability.
pub(crate) fn model_doc(cx: &Cx<'_>, m: &Model, fallback: &str) -> TokenStream {
    let desc = if m.description.trim().is_empty() {
        fallback.to_owned()
    } else {
        docs::escape(&m.description)
    };
    let mut paras = vec![desc];
    if let Some(av) = docs::availability(&m.versions, &cx.all) {
        paras.push(av);
    }
    docs::doc_attrs(paras)
}
