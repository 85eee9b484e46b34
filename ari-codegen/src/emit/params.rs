//! How each operation parameter is held in its builder and sent: the classification ([`Kind`]),
//! the stored and argument types, and the request-building call. Shared by the builders, the
//! handle methods that start them and the contract tests.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::types::{rust_type, Place};
use super::{Cx, EmitError};
use crate::curated::{BodyObject, BODY_OBJECTS};
use crate::ir::{Operation, Param, ParamLocation, TypeRef};

/// How a parameter is held and sent.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// A path segment (a string).
    Path,
    /// One query value of this scalar type.
    Query(TypeRef),
    /// A list of query values (`allowMultiple`), sent comma-separated.
    QueryList(TypeRef),
    /// `variables`: name/value pairs, sent as `{"variables": {...}}`. `reported`: the spec
    /// documents that a value may also be an object with `value` and `report_events`
    /// (held as `crate::VariableValue`); otherwise values are strings.
    Variables { reported: bool },
    /// `fields` of a dynamic configuration object: attribute/value pairs, sent as
    /// `{"fields": [{"attribute": .., "value": ..}]}`.
    ConfigFields,
    /// `filter` of an application: free-form JSON that is the whole body
    /// (`{"allowed": [...], "disallowed": [...]}`).
    WholeBody,
    /// Any other body parameter: JSON of this type under its wire name.
    BodyField(TypeRef),
}

/// Decides how a parameter is held and sent (body parameters of type `object` by
/// [`BODY_OBJECTS`]).
pub(super) fn kind(op: &Operation, p: &Param) -> Result<Kind, EmitError> {
    let unsupported = |what: &str| EmitError::Operation {
        operation: op.nickname.clone(),
        message: format!("parameter {}: {what}", p.wire_name),
    };
    let scalar = |ty: &TypeRef| match ty {
        TypeRef::String
        | TypeRef::Boolean
        | TypeRef::Int
        | TypeRef::Long
        | TypeRef::Double
        | TypeRef::Date
        | TypeRef::Enum(_) => true,
        TypeRef::Object | TypeRef::List(_) | TypeRef::Model(_) => false,
    };
    Ok(match p.location {
        ParamLocation::Path => {
            if p.ty != TypeRef::String || p.allow_multiple {
                return Err(unsupported("a path parameter must be a single string"));
            }
            Kind::Path
        }
        ParamLocation::Query => {
            let (elem, list) = match (&p.ty, p.allow_multiple) {
                (TypeRef::List(inner), _) => (&**inner, true),
                (ty, multiple) => (ty, multiple),
            };
            if !scalar(elem) {
                return Err(unsupported(
                    "a query parameter must be a scalar or a list of scalars",
                ));
            }
            if list {
                Kind::QueryList(elem.clone())
            } else {
                Kind::Query(elem.clone())
            }
        }
        ParamLocation::Body => {
            let object = BODY_OBJECTS
                .iter()
                .find(|(wire, _)| *wire == p.wire_name && p.ty == TypeRef::Object)
                .map(|(_, object)| *object);
            match object {
                Some(BodyObject::Variables) => Kind::Variables {
                    // The spec says so in the parameter's description, the only place it does.
                    reported: p.description.contains("report_events"),
                },
                Some(BodyObject::ConfigFields) => Kind::ConfigFields,
                Some(BodyObject::WholeBody) => Kind::WholeBody,
                None => Kind::BodyField(p.ty.clone()),
            }
        }
    })
}

pub(super) fn path_of(
    cx: &Cx<'_>,
    ty: &TypeRef,
    what: &dyn Fn() -> String,
) -> Result<TokenStream, EmitError> {
    rust_type(cx, ty, Place::Elsewhere, what)
}

/// The stored (field) type of a parameter, before `Option` for optional ones.
pub(super) fn stored_type(
    cx: &Cx<'_>,
    op: &Operation,
    p: &Param,
    k: &Kind,
) -> Result<TokenStream, EmitError> {
    let what = || format!("{}.{}", op.nickname, p.wire_name);
    Ok(match k {
        Kind::Path => quote!(String),
        Kind::Query(ty) => path_of(cx, ty, &what)?,
        Kind::QueryList(ty) => {
            let t = path_of(cx, ty, &what)?;
            quote!(Vec<#t>)
        }
        Kind::Variables { reported: false } => quote!(std::collections::BTreeMap<String, String>),
        Kind::Variables { reported: true } => {
            quote!(std::collections::BTreeMap<String, crate::VariableValue>)
        }
        Kind::ConfigFields => quote!(Vec<(String, String)>),
        Kind::WholeBody => quote!(serde_json::Value),
        Kind::BodyField(ty) => path_of(cx, ty, &what)?,
    })
}

/// Whether values of this scalar type are taken with `impl Into<T>`.
fn takes_into(ty: &TypeRef) -> bool {
    matches!(ty, TypeRef::String | TypeRef::Enum(_))
}

/// The argument type (in a constructor or setter) and the expression converting the argument
/// `name` into the stored type. Generic parameters, if any, are returned too.
pub(super) fn argument(
    cx: &Cx<'_>,
    op: &Operation,
    p: &Param,
    k: &Kind,
    name: &Ident,
) -> Result<(TokenStream, TokenStream, TokenStream), EmitError> {
    let what = || format!("{}.{}", op.nickname, p.wire_name);
    let none = TokenStream::new();
    Ok(match k {
        Kind::Path => (quote!(impl Into<String>), quote!(#name.into()), none),
        Kind::Query(ty) => {
            let t = path_of(cx, ty, &what)?;
            if takes_into(ty) {
                (quote!(impl Into<#t>), quote!(#name.into()), none)
            } else {
                (t, quote!(#name), none)
            }
        }
        Kind::QueryList(ty) => {
            let t = path_of(cx, ty, &what)?;
            if takes_into(ty) {
                (
                    quote!(impl IntoIterator<Item = impl Into<#t>>),
                    quote!(#name.into_iter().map(Into::into).collect()),
                    none,
                )
            } else {
                (
                    quote!(impl IntoIterator<Item = #t>),
                    quote!(#name.into_iter().collect()),
                    none,
                )
            }
        }
        Kind::Variables { reported: false } | Kind::ConfigFields => (
            quote!(impl IntoIterator<Item = (K, V)>),
            quote!(#name.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
            quote!(K: Into<String>, V: Into<String>),
        ),
        Kind::Variables { reported: true } => (
            quote!(impl IntoIterator<Item = (K, V)>),
            quote!(#name.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
            quote!(K: Into<String>, V: Into<crate::VariableValue>),
        ),
        Kind::WholeBody => (quote!(serde_json::Value), quote!(#name), none),
        Kind::BodyField(ty) => {
            let t = path_of(cx, ty, &what)?;
            (t, quote!(#name), none)
        }
    })
}

/// The request-building call for one parameter, moving `self.<field>` in.
pub(super) fn request_part(p: &Param, k: &Kind, field: &Ident) -> TokenStream {
    let wire = p.wire_name.as_str();
    let required = p.required || p.location == ParamLocation::Path;
    match (k, required) {
        (Kind::Path, _) => quote!(.param(#wire, self.#field)),
        (Kind::Query(_), true) => quote!(.query(#wire, self.#field)),
        (Kind::Query(_), false) => quote!(.query_opt(#wire, self.#field)),
        (Kind::QueryList(_), true) => quote!(.query_list(#wire, self.#field)),
        (Kind::QueryList(_), false) => quote!(.query_list_opt(#wire, self.#field)),
        (Kind::Variables { .. } | Kind::BodyField(_), true) => {
            quote!(.body_field(#wire, self.#field))
        }
        (Kind::Variables { .. } | Kind::BodyField(_), false) => {
            quote!(.body_field_opt(#wire, self.#field))
        }
        (Kind::ConfigFields, true) => quote!(.body_field(#wire, config_fields(self.#field))),
        (Kind::ConfigFields, false) => {
            quote!(.body_field_opt(#wire, self.#field.map(config_fields)))
        }
        // Whole bodies are set after the chain (see `builder`).
        (Kind::WholeBody, _) => TokenStream::new(),
    }
}
