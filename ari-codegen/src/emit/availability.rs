//! The availability table: for every REST operation, the Asterisk versions that serve it and
//! its parameters that only some of those versions know. The runtime's capability check
//! (`ari_sdk::capabilities`) reads it to refuse, before sending, what the server it talks to
//! does not have, and to name the versions that do.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Cx, EmitError};
use crate::ir::{ParamLocation, VersionSet};

/// The bit mask of `set` over the IR's versions (bit `i` = `api.versions[i]`).
fn mask(cx: &Cx<'_>, set: &VersionSet) -> u32 {
    cx.api
        .versions
        .iter()
        .enumerate()
        .filter(|(_, v)| set.0.contains(v))
        .fold(0, |m, (i, _)| m | (1 << i))
}

/// `mask` as a binary literal one digit per version (`0b110100`: the newest version leftmost),
/// so the table reads as a row of flags.
fn mask_literal(cx: &Cx<'_>, mask: u32) -> syn::LitInt {
    let width = cx.api.versions.len().max(1);
    syn::LitInt::new(
        &format!("0b{mask:0width$b}"),
        proc_macro2::Span::call_site(),
    )
}

pub(crate) fn emit(cx: &Cx<'_>) -> Result<TokenStream, EmitError> {
    if cx.api.versions.len() > 32 {
        return Err(EmitError::Collision(format!(
            "{} versions do not fit the availability table's 32-bit masks",
            cx.api.versions.len()
        )));
    }
    let versions: Vec<String> = cx.api.versions.iter().map(ToString::to_string).collect();
    let mut rows = Vec::new();
    for res in &cx.api.resources {
        for op in &res.operations {
            if op.is_websocket {
                continue;
            }
            let method = op.method.as_str();
            let op_mask = mask(cx, &op.versions);
            let params = op
                .params
                .iter()
                .filter(|p| p.location != ParamLocation::Path)
                .filter(|p| mask(cx, &p.versions) != op_mask)
                .map(|p| {
                    let name = &p.wire_name;
                    let m = mask_literal(cx, mask(cx, &p.versions));
                    quote! { (#name, #m), }
                });
            let resource = &res.wire_name;
            let nickname = &op.nickname;
            let path = op.path.as_str();
            let op_mask = mask_literal(cx, op_mask);
            rows.push(quote! {
                OperationAvailability {
                    resource: #resource,
                    operation: #nickname,
                    method: #method,
                    path: #path,
                    versions: #op_mask,
                    params: &[#(#params)*],
                },
            });
        }
    }
    Ok(quote! {
        //! Which Asterisk versions serve each REST operation, and the parameters only some of
        //! them know (from the availability sets of the specs the SDK was generated from).

        /// The Asterisk versions the SDK was generated from, ascending. Bit `i` of a mask below
        /// stands for `VERSIONS[i]`.
        pub const VERSIONS: &[&str] = &[#(#versions),*];

        pub use crate::capabilities::OperationAvailability;

        /// Every REST operation (the events WebSocket excepted), in IR order.
        pub const OPERATIONS: &[OperationAvailability] = &[#(#rows)*];
    })
}
