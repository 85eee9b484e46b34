//! Models: one struct per spec model.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{self, Place};
use super::{ident, Cx, EmitError};

/// `models.rs`.
pub(crate) fn emit(cx: &Cx<'_>) -> Result<TokenStream, EmitError> {
    let mut seen = std::collections::BTreeMap::new();
    let mut items = Vec::new();
    for m in cx.api.models.values() {
        if let Some(other) = seen.insert(m.rust_name.clone(), m.wire_name.clone()) {
            return Err(EmitError::Collision(format!(
                "models {other} and {} are both named {}",
                m.wire_name, m.rust_name
            )));
        }
        let name = ident(&m.rust_name, || format!("model {}", m.wire_name))?;
        let doc = types::model_doc(cx, m, &format!("The `{}` model.", m.wire_name));
        let fields = m
            .fields
            .iter()
            .map(|f| types::field(cx, m, f, Place::Models))
            .collect::<Result<Vec<_>, _>>()?;
        items.push(quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
            #[non_exhaustive]
            pub struct #name {
                #(#fields)*
            }
        });
    }
    Ok(quote! {
        //! Every model of the ARI specs, one struct each.
        //!
        //! Unknown JSON keys are ignored. A field the spec marks `required` in every
        //! version of its model is a plain value (lists default to empty when absent);
        //! every other field is an `Option` that is skipped when `None`, so a decoded
        //! value serialises back to the JSON it came from.
        #(#items)*
    })
}
