//! `operations.rs`: one builder per operation, in one module per resource. Where each
//! operation goes is decided in [`super::ops_plan`]; how its parameters are held and sent in
//! [`super::params`]; its documentation in [`super::op_docs`]; the accessor and handle methods
//! that start it in [`super::handles`].
//!
//! Every builder holds a client and its parameters; `into_request()` turns it into the
//! runtime's transport-independent `Request`, and `send()` / `.await` hand that to one of the
//! client's four send paths (JSON, void, binary, stream). The send paths are generic over the
//! response type only, so the per-operation code is plain data shuffling.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::op_docs::{one_line, setter_doc};
use super::ops_plan::{self, OpPlan, Plan};
use super::params::{argument, kind, path_of, request_part, stored_type, Kind};
use super::{docs, ident, Cx, EmitError};
use crate::ir::{HttpMethod, Operation, ParamLocation, PathSegment, ResponseType, TypeRef};

fn method_tokens(m: HttpMethod) -> TokenStream {
    match m {
        HttpMethod::Get => quote!(crate::request::Method::Get),
        HttpMethod::Post => quote!(crate::request::Method::Post),
        HttpMethod::Put => quote!(crate::request::Method::Put),
        HttpMethod::Delete => quote!(crate::request::Method::Delete),
    }
}

/// What `send()` returns, and through which function of the transport seam.
struct Output {
    /// `T` of `ResponseFuture<T>`.
    ty: TokenStream,
    /// `send_json`, `send_void`, `send_binary` of `crate::__private`.
    send: Ident,
}

fn output(cx: &Cx<'_>, op: &Operation) -> Result<Output, EmitError> {
    let id = |s: &str| Ident::new(s, Span::call_site());
    Ok(match &op.response {
        ResponseType::Void => Output {
            ty: quote!(()),
            send: id("send_void"),
        },
        ResponseType::Binary => Output {
            ty: quote!(crate::Binary),
            send: id("send_binary"),
        },
        ResponseType::Json(ty) => Output {
            ty: path_of(cx, ty, &|| format!("response of {}", op.nickname))?,
            send: id("send_json"),
        },
    })
}

/// `operations.rs`: one module per resource with the builders of its operations.
pub(super) fn emit_operations(cx: &Cx<'_>, plan: &Plan<'_>) -> Result<TokenStream, EmitError> {
    let mut modules = Vec::new();
    let mut uses_enums = false;
    let mut uses_models = false;
    for rp in &plan.resources {
        let mut items = Vec::new();
        let mut needs_config_fields = false;
        let ops = rp
            .accessor
            .iter()
            .flat_map(|a| a.ops.iter().map(move |o| (o, a.type_name.clone())))
            .chain(
                rp.handles
                    .iter()
                    .flat_map(|h| h.ops.iter().map(move |o| (o, h.type_name.clone()))),
            );
        for (op_plan, owner_type) in ops {
            for p in &op_plan.op.params {
                let k = kind(op_plan.op, p)?;
                needs_config_fields |= k == Kind::ConfigFields;
                uses_enums |= matches!(
                    &k,
                    Kind::Query(TypeRef::Enum(_)) | Kind::QueryList(TypeRef::Enum(_))
                );
                uses_enums |= matches!(&k, Kind::BodyField(TypeRef::Enum(_)));
            }
            uses_models |=
                matches!(&op_plan.op.response, ResponseType::Json(t) if mentions_model(t));
            items.push(builder(cx, &rp.resource.wire_name, op_plan, &owner_type)?);
        }
        if needs_config_fields {
            items.push(quote! {
                /// `(attribute, value)` pairs as the JSON list of `ConfigTuple`s Asterisk expects.
                fn config_fields(fields: Vec<(String, String)>) -> Vec<serde_json::Value> {
                    fields
                        .into_iter()
                        .map(|(attribute, value)| serde_json::json!({ "attribute": attribute, "value": value }))
                        .collect()
                }
            });
        }
        let module = ident(&rp.module, || {
            format!("module of resource {}", rp.resource.wire_name)
        })?;
        let doc = format!(
            " Builders of the `{}` resource's operations{}",
            rp.resource.wire_name,
            if rp.resource.description.trim().is_empty() {
                ".".to_owned()
            } else {
                format!(": {}", one_line(&rp.resource.description))
            }
        );
        modules.push(quote! {
            #[doc = #doc]
            pub mod #module {
                #(#items)*
            }
        });
    }
    let mut index = String::from(
        "| Operation | HTTP | Call | Builder |\n\
         |---|---|---|---|\n",
    );
    for e in ops_plan::layout_entries(plan) {
        index.push_str(&format!(
            "| `{}.{}` | `{}` | [`{}`](crate::{}) | [`{}`](crate::operations::{}) |\n",
            e.resource, e.nickname, e.http, e.call, e.starter, e.builder, e.builder
        ));
    }
    let index = index.lines().map(|l| format!(" {l}"));
    let not_rest = plan.websocket.iter().map(|(r, o)| {
        format!(
            " Not here: `{}.{}` (`{} {}`), the WebSocket upgrade of the event stream, which the events API opens.",
            r.wire_name,
            o.nickname,
            o.method.as_str(),
            o.path
        )
    });
    let enums_import = uses_enums.then(|| {
        quote!(
            use super::enums;
        )
    });
    let models_import = uses_models.then(|| {
        quote!(
            use super::models;
        )
    });
    Ok(quote! {
        //! One builder per REST operation, in one module per resource.
        //!
        //! A builder is made by a method of a resource accessor or an object handle (see the
        //! crate root), which takes the required parameters. Each optional parameter has a
        //! chained setter. Send it with `.await` (every builder implements
        //! [`IntoFuture`](std::future::IntoFuture)) or with `send()`; `into_request()` gives the
        //! transport-independent [`Request`](crate::request::Request) instead.
        //!
        //! # Every operation
        //!
        //! The spec's name, its HTTP method and path, the call that makes it (required arguments
        //! named), and its builder. (The links assume ari-sdk's re-exports: handles and
        //! accessors at the crate root, this module as `crate::operations`.)
        //!
        #(#![doc = #index])*
        #(#![doc = ""] #![doc = #not_rest])*

        // The resource modules name models and enums as `super::models::…`.
        #enums_import
        #models_import

        #(#modules)*
    })
}

fn mentions_model(t: &TypeRef) -> bool {
    match t {
        TypeRef::Model(_) => true,
        TypeRef::List(inner) => mentions_model(inner),
        _ => false,
    }
}

/// One builder: struct, constructor, setters, request, send, `IntoFuture`.
/// The builder of one operation of `resource` (its wire name, `channels`).
fn builder(
    cx: &Cx<'_>,
    resource: &str,
    plan: &OpPlan<'_>,
    owner_type: &str,
) -> Result<TokenStream, EmitError> {
    let op = plan.op;
    let name = ident(&plan.builder, || format!("builder of {}", op.nickname))?;
    let id = op.id(resource);
    let out = output(cx, op)?;
    let out_ty = &out.ty;
    let send_path = &out.send;

    // Fields, in spec order; constructor arguments in the order the starter passes them.
    let mut fields = Vec::new();
    let mut new_inits = Vec::new();
    for p in &op.params {
        let k = kind(op, p)?;
        let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        let ty = stored_type(cx, op, p, &k)?;
        let required = p.required || p.location == ParamLocation::Path;
        if required {
            fields.push(quote!(#f: #ty,));
            new_inits.push(quote!(#f,));
        } else {
            fields.push(quote!(#f: Option<#ty>,));
            new_inits.push(quote!(#f: None,));
        }
    }
    let mut new_args = Vec::new();
    for p in plan.owner_params.iter().chain(&plan.positional) {
        let k = kind(op, p)?;
        let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        let ty = stored_type(cx, op, p, &k)?;
        new_args.push(quote!(#f: #ty));
    }

    // Setters.
    let mut setters = Vec::new();
    for p in &plan.optional {
        let k = kind(op, p)?;
        let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        let (arg_ty, conv, generics) = argument(cx, op, p, &k, &f)?;
        let generics = (!generics.is_empty()).then(|| quote!(<#generics>));
        let doc = setter_doc(cx, op, p, &k);
        setters.push(quote! {
            #doc
            pub fn #f #generics(mut self, #f: #arg_ty) -> Self {
                self.#f = Some(#conv);
                self
            }
        });
    }

    // The request.
    let method = method_tokens(op.method);
    let mut chain = Vec::new();
    for s in op.path.segments() {
        match s {
            PathSegment::Literal(l) => chain.push(quote!(.segment(#l))),
            PathSegment::Param(w) => {
                let p = op.path_param(w).expect("checked by the plan");
                let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
                chain.push(request_part(p, &Kind::Path, &f));
            }
        }
    }
    let mut whole_body = None;
    for p in op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
    {
        let k = kind(op, p)?;
        let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        if k == Kind::WholeBody {
            if whole_body.is_some()
                || op
                    .params
                    .iter()
                    .filter(|q| q.location == ParamLocation::Body)
                    .count()
                    > 1
            {
                return Err(EmitError::Operation {
                    operation: op.nickname.clone(),
                    message: "a whole-body parameter cannot share the body".to_owned(),
                });
            }
            whole_body = Some(if p.required {
                quote!(let request = request.body(self.#f);)
            } else {
                quote! {
                    let request = match self.#f {
                        Some(body) => request.body(body),
                        None => request,
                    };
                }
            });
        } else {
            chain.push(request_part(p, &k, &f));
        }
    }
    let errors = op.errors.iter().map(|e| {
        let status = e.status;
        let reason = e.reason.as_str();
        quote!((#status, #reason))
    });

    let handle_path = format!("super::super::handles::{owner_type}::{}", op.rust_name);
    let summary = if op.summary.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", one_line(&op.summary))
    };
    let doc = docs::doc_attrs([
        format!(
            "`{} {}`{summary}",
            op.method.as_str(),
            op.path
        ),
        format!(
            "Made by [`{owner_type}::{0}`]({handle_path}), which documents the operation. Set optional parameters with the methods below, then send it with `.await` or [`send`](Self::send).",
            &op.rust_name
        ),
    ]);
    let stream = matches!(op.response, ResponseType::Binary).then(|| {
        quote! {
            /// Sends the request and delivers the body in chunks as they arrive, once the
            /// status and headers are in.
            pub fn stream(self) -> crate::ResponseFuture<crate::BinaryStream> {
                let (client, request) = self.parts();
                crate::__private::send_stream(client, request)
            }
        }
    });
    let new_doc = format!(" A builder with the required parameters and no optional ones (see [`{owner_type}`](super::super::handles::{owner_type})).");
    Ok(quote! {
        #doc
        #[derive(Debug, Clone)]
        #[must_use = "an operation is sent only when awaited or sent with .send()"]
        pub struct #name {
            client: crate::Client,
            #(#fields)*
        }

        impl #name {
            #[doc = #new_doc]
            pub(crate) fn new(client: crate::Client, #(#new_args),*) -> Self {
                Self { client, #(#new_inits)* }
            }

            #(#setters)*

            /// The call as a transport-independent [`Request`](crate::request::Request): what
            /// [`send`](Self::send) hands to the client's transport.
            pub fn into_request(self) -> crate::request::Request {
                self.parts().1
            }

            fn parts(self) -> (crate::Client, crate::request::Request) {
                let request = crate::request::Request::new(#id, #method)
                    #(#chain)*
                    .errors(&[#(#errors),*]);
                #whole_body
                (self.client, request)
            }

            /// Sends the request; the same as `.await` on the builder.
            pub fn send(self) -> crate::ResponseFuture<#out_ty> {
                let (client, request) = self.parts();
                crate::__private::#send_path(client, request)
            }

            #stream
        }

        impl std::future::IntoFuture for #name {
            type Output = crate::Result<#out_ty>;
            type IntoFuture = crate::ResponseFuture<#out_ty>;

            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    })
}
