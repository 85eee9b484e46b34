//! `emit`: IR → Rust token streams (with `quote`; never string-built Rust).
//!
//! [`generate`] is the whole back end: it emits every module of
//! `ari-sdk/src/generated/` and renders each to formatted text with a header.
//! The list of modules lives in one place ([`modules`]) so later modules
//! (operations, handles) slot in beside models, enums and events.
//!
//! Paths in the generated code are relative (`super::models::Channel`) or
//! crate-rooted for the hand-written runtime (`crate::Timestamp`,
//! `crate::__private::…`), so the same output compiles wherever the
//! `generated` directory is mounted as a module — ari-sdk, or a test crate
//! that compiles the snapshot of a fixture IR.

mod availability;
mod contract;
mod docs;
mod enums;
mod events;
mod handles;
mod models;
mod op_docs;
mod operations;
mod ops_plan;
mod params;
mod responses;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Api, Enum, Model, VersionSet};
use crate::render;

pub use docs::{escape as escape_doc, version_list, version_string};
pub use ops_plan::{layout, Layout, LayoutEntry};

/// An error found while emitting (an IR the emitter cannot turn into valid Rust).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmitError {
    /// A Rust name in the IR is not a valid identifier.
    #[error("invalid Rust identifier {name:?} for {what}")]
    InvalidIdent {
        /// The offending name.
        name: String,
        /// What it names.
        what: String,
    },
    /// A type reference points at a model or enum the IR does not define.
    #[error("{what} refers to unknown {kind} {name:?}")]
    UnknownType {
        /// `model` or `enum`.
        kind: &'static str,
        /// The missing name.
        name: String,
        /// Where the reference is.
        what: String,
    },
    /// An operation the emitter cannot express (inconsistent path, unsupported parameter type).
    #[error("operation {operation}: {message}")]
    Operation {
        /// The operation's nickname.
        operation: String,
        /// What is wrong.
        message: String,
    },
    /// Two items would get the same Rust name.
    #[error("name collision: {0}")]
    Collision(String),
    /// The emitted tokens do not parse as a Rust file (an emitter bug).
    #[error("generated module {module} does not parse: {message}")]
    Unparsable {
        /// The module.
        module: String,
        /// syn's message.
        message: String,
    },
}

/// One file of `src/generated/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to `src/generated/`, e.g. `models.rs`.
    pub path: String,
    /// Full, formatted file contents (header included).
    pub contents: String,
}

/// One emitted module before rendering.
#[derive(Debug)]
pub struct Module {
    /// The module name (`models`); the file is `<name>.rs`, `mod.rs` for the root.
    pub name: &'static str,
    /// Module tokens (inner docs included).
    pub tokens: TokenStream,
}

/// Emits and renders every file of `src/generated/`, in a fixed order.
pub fn generate(api: &Api) -> Result<Vec<GeneratedFile>, EmitError> {
    let header = render::header(api);
    modules(api)?
        .into_iter()
        .map(|m| {
            let path = if m.name == "mod" {
                "mod.rs".to_owned()
            } else {
                format!("{}.rs", m.name)
            };
            let contents =
                render::render(&header, m.tokens).map_err(|e| EmitError::Unparsable {
                    module: path.clone(),
                    message: e.to_string(),
                })?;
            Ok(GeneratedFile { path, contents })
        })
        .collect()
}

/// Emits every module, the root `mod` first.
pub fn modules(api: &Api) -> Result<Vec<Module>, EmitError> {
    let cx = Cx::new(api);
    let plan = ops_plan::plan(&cx)?;
    // (name, tokens, test-only). Each module documents itself (its `//!` text): the root adds no
    // second doc comment to its `mod` line.
    let builders = operations::emit_operations(&cx, &plan)?;
    let children: Vec<(&'static str, TokenStream, bool)> = vec![
        ("availability", availability::emit(&cx)?, false),
        ("contract", contract::emit(&cx, &plan)?, true),
        ("enums", enums::emit(&cx)?, false),
        ("events", events::emit(&cx)?, false),
        ("handles", handles::emit_handles(&cx, &plan)?, false),
        ("models", models::emit(&cx)?, false),
        ("operations", builders, false),
        ("responses", responses::emit(&cx)?, true),
    ];
    let decls = children.iter().map(|(name, _, test_only)| {
        let ident = Ident::new(name, Span::call_site());
        if *test_only {
            quote! {
                #[cfg(test)]
                pub(crate) mod #ident;
            }
        } else {
            quote! {
                pub mod #ident;
            }
        }
    });
    let root = quote! {
        //! Code generated from Asterisk's ARI specs. Do not edit: run `cargo xtask codegen`.
        #(#decls)*
    };
    let mut out = vec![Module {
        name: "mod",
        tokens: root,
    }];
    out.extend(
        children
            .into_iter()
            .map(|(name, tokens, _)| Module { name, tokens }),
    );
    Ok(out)
}

/// Shared emission context: the IR plus derived lookups.
pub(crate) struct Cx<'a> {
    pub api: &'a Api,
    /// Every version of the IR.
    pub all: VersionSet,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(api: &'a Api) -> Self {
        Cx {
            api,
            all: VersionSet(api.versions.iter().cloned().collect::<BTreeSet<_>>()),
        }
    }

    /// The model `name` refers to; `what` says where the reference is, for the error.
    pub(crate) fn model(
        &self,
        name: &str,
        what: impl FnOnce() -> String,
    ) -> Result<&'a Model, EmitError> {
        lookup(&self.api.models, "model", name, what)
    }

    /// The enum `name` refers to; `what` says where the reference is, for the error.
    pub(crate) fn enum_def(
        &self,
        name: &str,
        what: impl FnOnce() -> String,
    ) -> Result<&'a Enum, EmitError> {
        lookup(&self.api.enums, "enum", name, what)
    }
}

/// The `kind` (`model`, `enum`) named `name` in `defs`, or [`EmitError::UnknownType`].
fn lookup<'a, T>(
    defs: &'a BTreeMap<String, T>,
    kind: &'static str,
    name: &str,
    what: impl FnOnce() -> String,
) -> Result<&'a T, EmitError> {
    defs.get(name).ok_or_else(|| EmitError::UnknownType {
        kind,
        name: name.to_owned(),
        what: what(),
    })
}

/// A Rust identifier from an IR Rust name. The naming rules never produce raw identifiers
/// (a keyword gets a rename or a trailing `_`, see [`crate::naming`]), so a keyword or an `r#`
/// name here is an error, like any other name that is not an identifier.
pub(crate) fn ident(name: &str, what: impl FnOnce() -> String) -> Result<Ident, EmitError> {
    // The shape check first: `syn` would take `r#type` as a raw identifier. `syn` rejects keywords.
    if is_ident_shape(name) && syn::parse_str::<Ident>(name).is_ok() {
        Ok(Ident::new(name, Span::call_site()))
    } else {
        Err(EmitError::InvalidIdent {
            name: name.to_owned(),
            what: what(),
        })
    }
}

fn is_ident_shape(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && s != "_"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents() {
        assert_eq!(
            ident("channel_id", String::new).unwrap().to_string(),
            "channel_id"
        );
        assert!(ident("type", || "x".into()).is_err());
        assert!(ident("r#type", || "x".into()).is_err());
        assert!(ident("r#self", || "x".into()).is_err());
        assert!(ident("2x", || "x".into()).is_err());
        assert!(ident("a-b", || "x".into()).is_err());
    }
}
