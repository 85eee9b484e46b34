//! A test-only table: each operation's declared JSON response type, so tests
//! can check recorded server responses against the generated models without a
//! hand-maintained mapping.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{rust_type, Place};
use super::{Cx, EmitError};
use crate::ir::ResponseType;

pub(crate) fn emit(cx: &Cx<'_>) -> Result<TokenStream, EmitError> {
    let mut rows = Vec::new();
    for res in &cx.api.resources {
        for op in &res.operations {
            let ResponseType::Json(ty) = &op.response else {
                continue;
            };
            if op.is_websocket {
                continue;
            }
            let ty = rust_type(cx, ty, Place::Elsewhere, &|| {
                format!("response of {}", op.nickname)
            })?;
            let method = op.method.as_str();
            let path = op.path.as_str();
            let nickname = &op.nickname;
            let ty_name = ty.to_string().replace(' ', "");
            rows.push(quote! {
                ResponseType {
                    method: #method,
                    path: #path,
                    operation: #nickname,
                    type_name: #ty_name,
                    decode: decode_as::<#ty>,
                },
            });
        }
    }
    Ok(quote! {
        //! Each REST operation's declared JSON response type, by method and path template
        //! (the row type and its decoder are the contract harness's).

        use crate::contract_harness::{decode_as, ResponseType};

        /// Every operation with a JSON response, in IR order.
        pub(crate) const RESPONSE_TYPES: &[ResponseType] = &[#(#rows)*];
    })
}
