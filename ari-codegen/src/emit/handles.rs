//! `handles.rs`: resource accessors, object handles and the `Client` methods that make them;
//! each accessor or handle method starts one operation's builder (see [`super::operations`]).

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::op_docs::{one_line, op_doc, Paths};
use super::ops_plan::{self, Handle, OpPlan, Plan};
use super::params::{argument, kind};
use super::{docs, ident, Cx, EmitError};
use crate::ir::{HttpMethod, ResponseType, TypeRef};

/// A method (on an accessor or handle) that starts an operation.
fn starter(
    cx: &Cx<'_>,
    rp_module: &Ident,
    plan: &OpPlan<'_>,
    from_handle: &[TokenStream],
) -> Result<TokenStream, EmitError> {
    let op = plan.op;
    let method = ident(&op.rust_name, || format!("operation {}", op.nickname))?;
    let builder = ident(&plan.builder, || format!("builder of {}", op.nickname))?;
    let builder_path = format!("super::operations::{}::{}", rp_module, plan.builder);
    let doc = op_doc(
        cx,
        plan,
        &Paths {
            builder: builder_path,
            models: "super::models",
        },
    )?;
    let mut args = Vec::new();
    let mut convs = Vec::new();
    let mut generics = Vec::new();
    for p in &plan.positional {
        let k = kind(op, p)?;
        let a = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        let (ty, conv, g) = argument(cx, op, p, &k, &a)?;
        args.push(quote!(#a: #ty));
        convs.push(conv);
        if !g.is_empty() {
            generics.push(g);
        }
    }
    if generics.len() > 1 {
        return Err(EmitError::Operation {
            operation: op.nickname.clone(),
            message: "more than one required key/value parameter".to_owned(),
        });
    }
    let generics = (!generics.is_empty()).then(|| quote!(<#(#generics),*>));
    Ok(quote! {
        #doc
        pub fn #method #generics(&self, #(#args),*) -> super::operations::#rp_module::#builder {
            super::operations::#rp_module::#builder::new(self.client.clone(), #(#from_handle,)* #(#convs),*)
        }
    })
}

/// `handles.rs`: accessors, handles, and the `Client` methods making them.
pub(super) fn emit_handles(cx: &Cx<'_>, plan: &Plan<'_>) -> Result<TokenStream, EmitError> {
    let mut client_methods = Vec::new();
    let mut items = Vec::new();
    for rp in &plan.resources {
        let module = ident(&rp.module, || {
            format!("module of resource {}", rp.resource.wire_name)
        })?;
        if let Some(acc) = &rp.accessor {
            let m = ident(&acc.method, || {
                format!("accessor of {}", rp.resource.wire_name)
            })?;
            let t = ident(&acc.type_name, || {
                format!("accessor of {}", rp.resource.wire_name)
            })?;
            let desc = if rp.resource.description.trim().is_empty() {
                String::new()
            } else {
                format!(" ({})", one_line(&rp.resource.description))
            };
            let renamed = (acc.method != rp.resource.rust_name).then(|| {
                format!(
                    "Named `{}` because `Client::{}` is taken by the runtime.",
                    acc.method, rp.resource.rust_name
                )
            });
            let mut paras = vec![format!(
                "The `{}` resource{desc}: its operations that address no single object.",
                rp.resource.wire_name
            )];
            paras.extend(renamed.clone());
            paras.extend(docs::availability(&rp.resource.versions, &cx.all));
            let method_doc = docs::doc_attrs(paras.clone());
            client_methods.push(quote! {
                #method_doc
                pub fn #m(&self) -> #t {
                    #t { client: self.clone() }
                }
            });
            let starters = acc
                .ops
                .iter()
                .map(|o| starter(cx, &module, o, &[]))
                .collect::<Result<Vec<_>, _>>()?;
            paras.push(format!(
                "Made by [`Client::{0}`](crate::Client::{0}).",
                acc.method
            ));
            let type_doc = docs::doc_attrs(paras);
            items.push(quote! {
                #type_doc
                #[derive(Debug, Clone)]
                pub struct #t {
                    client: crate::Client,
                }

                impl #t {
                    #(#starters)*
                }
            });
        }
        for h in &rp.handles {
            items.push(handle(
                cx,
                &module,
                rp.resource.wire_name.as_str(),
                h,
                &mut client_methods,
            )?);
        }
    }
    let websocket_note = if plan.websocket.is_empty() {
        String::new()
    } else {
        let list = plan
            .websocket
            .iter()
            .map(|(r, o)| {
                format!(
                    "`{}.{}` (`{} {}`)",
                    r.wire_name,
                    o.nickname,
                    o.method.as_str(),
                    o.path
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!("\n\nNot here: {list}, the WebSocket upgrade of the event stream, which the events API opens.")
    };
    let module_doc = format!(
        "How a [`Client`](crate::Client) reaches every REST operation: resource accessors \
         (`client.channels()`) for the operations that address no single object, and handles \
         (`client.channel(id)`) for the operations on one object.\n\n\
         Making an accessor or a handle sends nothing and costs a client clone (a reference \
         count); their methods return the operation builders of [`operations`](super::operations).{websocket_note}"
    );
    let module_doc = module_doc.lines().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        }
    });
    Ok(quote! {
        #(#![doc = #module_doc])*

        impl crate::Client {
            #(#client_methods)*
        }

        #(#items)*
    })
}

fn handle(
    cx: &Cx<'_>,
    module: &Ident,
    resource: &str,
    h: &Handle<'_>,
    client_methods: &mut Vec<TokenStream>,
) -> Result<TokenStream, EmitError> {
    let m = ident(&h.method, || format!("handle of {}", h.key))?;
    let t = ident(&h.type_name, || format!("handle of {}", h.key))?;
    let tmpl = &h.key;
    // The model read at the key, if any.
    let model = h
        .ops
        .iter()
        .find_map(|o| match (&o.op.method, &o.op.response) {
            (HttpMethod::Get, ResponseType::Json(TypeRef::Model(name))) if o.op.path == h.key => {
                cx.api.models.get(name)
            }
            _ => None,
        });
    let what = match model {
        Some(m) => format!("one [`{0}`](super::models::{0})", m.rust_name),
        None => "one object".to_owned(),
    };
    let fields: Vec<Ident> = h
        .params
        .iter()
        .map(|p| ident(&p.rust_name, || format!("{resource}.{}", p.wire_name)))
        .collect::<Result<_, _>>()?;
    let param_list = h
        .params
        .iter()
        .map(|p| format!("`{}`", p.wire_name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut paras = vec![format!(
        "A handle on {what} of the `{resource}` resource, at `{tmpl}`: every operation on it."
    )];
    let ctor_doc = docs::doc_attrs([
        paras[0].clone(),
        format!("Takes the object's {param_list}. Making a handle sends nothing."),
    ]);
    client_methods.push(quote! {
        #ctor_doc
        pub fn #m(&self, #(#fields: impl Into<String>),*) -> #t {
            #t { client: self.clone(), #(#fields: #fields.into()),* }
        }
    });
    paras.push(format!(
        "Made by [`Client::{0}`](crate::Client::{0}).",
        h.method
    ));
    let type_doc = docs::doc_attrs(paras);

    let getters = ops_plan::handle_getters(h)
        .into_iter()
        .map(|(g, p)| {
            let g = ident(&g, || format!("getter of {}", h.type_name))?;
            let f = ident(&p.rust_name, || format!("{resource}.{}", p.wire_name))?;
            let doc = format!(" The `{}` this handle addresses.", p.wire_name);
            Ok(quote! {
                #[doc = #doc]
                pub fn #g(&self) -> &str {
                    &self.#f
                }
            })
        })
        .collect::<Result<Vec<_>, EmitError>>()?;
    let from_handle: Vec<TokenStream> = fields.iter().map(|f| quote!(self.#f.clone())).collect();
    let starters = h
        .ops
        .iter()
        .map(|o| starter(cx, module, o, &from_handle))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(quote! {
        #type_doc
        #[derive(Debug, Clone)]
        pub struct #t {
            /// The client requests go through (also for the hand-written extensions, such as `events()`).
            pub(crate) client: crate::Client,
            #(#fields: String,)*
        }

        impl #t {
            #(#getters)*
            #(#starters)*
        }
    })
}
