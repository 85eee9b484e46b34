//! Enums: every value list of the specs as an open (`#[non_exhaustive]`) enum
//! that keeps unlisted strings.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::{docs, ident, Cx, EmitError};
use crate::ir::{Enum, VersionSet};

/// The name of the fallback variant, unless a listed value already uses it.
const FALLBACK: &str = "Other";
const FALLBACK_ALT: &str = "Unlisted";

/// `enums.rs`.
pub(crate) fn emit(cx: &Cx<'_>) -> Result<TokenStream, EmitError> {
    let items = cx
        .api
        .enums
        .values()
        .map(emit_enum)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(quote! {
        //! Every value list of the ARI specs as an open enum.
        //!
        //! Asterisk sends values its specs never list (a channel state `Rsrvd` or
        //! `Unknown (7)`, a playback state `paused`), and new versions add values. So every
        //! enum is `#[non_exhaustive]`, parsing is infallible, and a value the SDK does not
        //! know is kept verbatim in the fallback variant and serialised back unchanged.
        //! Always build values with `From<&str>` / `parse()` rather than constructing the
        //! fallback variant directly: a listed value placed in the fallback does not compare
        //! equal to its own variant.
        #(#items)*
    })
}

fn emit_enum(e: &Enum) -> Result<TokenStream, EmitError> {
    let name = ident(&e.rust_name, || format!("enum {}", e.rust_name))?;
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for v in &e.values {
        if let Some(prev) = seen.insert(v.rust_name.as_str(), v.wire.as_str()) {
            return Err(EmitError::Collision(format!(
                "enum {}: values {prev:?} and {:?} are both named {}",
                e.rust_name, v.wire, v.rust_name
            )));
        }
    }
    let fallback_name = if seen.contains_key(FALLBACK) {
        FALLBACK_ALT
    } else {
        FALLBACK
    };
    if seen.contains_key(fallback_name) {
        return Err(EmitError::Collision(format!(
            "enum {}: no free name for the fallback variant",
            e.rust_name
        )));
    }
    let fallback = Ident::new(fallback_name, Span::call_site());

    let values_versions = VersionSet(
        e.values
            .iter()
            .flat_map(|v| v.versions.0.iter().cloned())
            .collect::<BTreeSet<_>>(),
    );
    let variants = e
        .values
        .iter()
        .map(|v| {
            let id = ident(&v.rust_name, || format!("{}::{}", e.rust_name, v.rust_name))?;
            Ok((id, v))
        })
        .collect::<Result<Vec<_>, EmitError>>()?;

    let variant_defs = variants.iter().map(|(id, v)| {
        let mut paras = vec![format!("`{}`", v.wire.replace('`', "'"))];
        paras.extend(docs::availability(&v.versions, &values_versions));
        let doc = docs::doc_attrs(paras);
        quote! { #doc #id, }
    });
    let idents: Vec<&Ident> = variants.iter().map(|(id, _)| id).collect();
    let wires: Vec<&str> = variants.iter().map(|(_, v)| v.wire.as_str()).collect();

    let desc = if e.description.trim().is_empty() {
        format!("Values of `{}`.", e.rust_name)
    } else {
        docs::escape(&e.description)
    };
    let mut paras = vec![desc];
    if !e.used_by.is_empty() {
        let list = e
            .used_by
            .iter()
            .map(|u| format!("`{}`", u.replace('`', "'")))
            .collect::<Vec<_>>()
            .join(", ");
        paras.push(format!("Used by: {list}."));
    }
    if e.from_prose {
        paras
            .push("The specs list these values only in prose; the SDK lists them here.".to_owned());
    }
    let doc = docs::doc_attrs(paras);
    let expecting = format!("a {} string", e.rust_name);

    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#variant_defs)*
            /// A value not listed here (the server sends values the specs never list), kept verbatim.
            #fallback(String),
        }

        impl #name {
            /// Every listed value, in spec order.
            pub const KNOWN: &'static [Self] = &[#(Self::#idents),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #wires,)*
                    Self::#fallback(other) => other,
                }
            }
        }

        impl From<&str> for #name {
            fn from(s: &str) -> Self {
                match s {
                    #(#wires => Self::#idents,)*
                    other => Self::#fallback(other.to_owned()),
                }
            }
        }

        impl From<String> for #name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    #(#wires => Self::#idents,)*
                    _ => Self::#fallback(s),
                }
            }
        }

        impl std::str::FromStr for #name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(crate::__private::OpenEnumVisitor::<Self>::new(#expecting))
            }
        }
    })
}
