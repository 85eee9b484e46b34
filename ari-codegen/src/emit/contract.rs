//! `contract.rs` (test-only): one offline contract test per REST operation.
//!
//! Each test calls its operation through the generated SDK with *every* parameter set, against
//! a stub HTTP server on 127.0.0.1 (the hand-written `crate::contract_harness`), and checks the
//! exact method, path, query string and JSON body on the wire, the request description, the
//! decoding of a response, and the spec's reason for every documented error status.
//!
//! The expected wire text is computed here, independently of the runtime: parameter values are
//! chosen to fight URLs (`/ ? # % + &`, spaces, non-ASCII) and percent-encoded by
//! [`encode`], a small oracle of the runtime's documented encoding. A `coverage` test checks
//! that the operations exercised are exactly the IR's, counting the WebSocket upgrade as covered
//! by the event stream, and prints `contract coverage: N/M operations`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::{json, Map, Value};

use super::ops_plan::{Handle, OpPlan, Plan};
use super::params::{kind, Kind};
use super::types::{presence, Presence};
use super::{ident, Cx, EmitError};
use crate::ir::{Param, ParamLocation, PathSegment, ResponseType, TypeRef};

/// Which bytes the runtime percent-encodes: everything but RFC 3986 unreserved characters and
/// `:`/`@`; in a query, `/` and `,` stay too. Uppercase hex.
pub(crate) fn encode(text: &str, query: bool) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'@')
            || (query && matches!(b, b'/' | b','));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A value for a path parameter: everything that fights a URL (`/ ? # % + &`, an
/// already-encoded-looking `%2F`, a space, `;`, non-ASCII).
fn path_value(wire: &str) -> String {
    format!("{wire} a/b?c#d%2F+f&g=h;ü😀")
}

/// A value for a string query parameter.
fn query_string(wire: &str) -> String {
    format!("{wire}: 1+1 & ü/x")
}

const TIMESTAMP: &str = "2026-11-26T05:06:00.285+0000";

/// A sample scalar: the Rust argument and its text on the wire.
fn scalar(
    cx: &Cx<'_>,
    p: &Param,
    ty: &TypeRef,
    index: usize,
) -> Result<(TokenStream, String), EmitError> {
    let wire = p.wire_name.as_str();
    Ok(match ty {
        TypeRef::String => {
            let s = if index == 0 {
                query_string(wire)
            } else {
                format!("{wire}-{index} +ü")
            };
            (quote!(#s), s)
        }
        TypeRef::Boolean => (quote!(true), "true".to_owned()),
        TypeRef::Int | TypeRef::Long => {
            let min = p.range.as_ref().and_then(|r| r.min).unwrap_or(0.0);
            let n = (7 + index as i64).max(min as i64);
            (quote!(#n), n.to_string())
        }
        TypeRef::Double => {
            let n = 2.5 + index as f64;
            (quote!(#n), n.to_string())
        }
        TypeRef::Date => (
            quote!(#TIMESTAMP.parse::<crate::Timestamp>().expect("a timestamp")),
            TIMESTAMP.to_owned(),
        ),
        TypeRef::Enum(name) => {
            let e = cx.enum_def(name, || format!("parameter {wire}"))?;
            let v = e
                .values
                .get(index.min(e.values.len().saturating_sub(1)))
                .map(|v| v.wire.clone())
                .unwrap_or_else(|| "value".to_owned());
            (quote!(#v), v)
        }
        TypeRef::Object | TypeRef::List(_) | TypeRef::Model(_) => {
            return Err(EmitError::Operation {
                operation: String::new(),
                message: format!("parameter {wire}: no sample for {ty:?}"),
            })
        }
    })
}

/// The sample argument of one parameter, and what it adds to the query or the body.
struct Sample {
    arg: TokenStream,
    /// `(name, text)` for the query.
    query: Option<(String, String)>,
    /// `(name, value)` for the body; name `None` = the whole body.
    body: Option<(Option<String>, Value)>,
    /// Path text (decoded).
    path: Option<String>,
}

fn sample(cx: &Cx<'_>, op: &crate::ir::Operation, p: &Param) -> Result<Sample, EmitError> {
    let k = kind(op, p)?;
    let wire = p.wire_name.clone();
    let fix = |e: EmitError| match e {
        EmitError::Operation { message, .. } => EmitError::Operation {
            operation: op.nickname.clone(),
            message,
        },
        other => other,
    };
    let mut s = Sample {
        arg: TokenStream::new(),
        query: None,
        body: None,
        path: None,
    };
    match &k {
        Kind::Path => {
            let v = path_value(&wire);
            s.arg = quote!(#v);
            s.path = Some(v);
        }
        Kind::Query(ty) => {
            let (arg, text) = scalar(cx, p, ty, 0).map_err(fix)?;
            s.arg = arg;
            s.query = Some((wire, text));
        }
        Kind::QueryList(ty) => {
            let (a0, t0) = scalar(cx, p, ty, 0).map_err(fix)?;
            let (a1, t1) = scalar(cx, p, ty, 1).map_err(fix)?;
            s.arg = quote!([#a0, #a1]);
            s.query = Some((wire, format!("{t0},{t1}")));
        }
        Kind::Variables { reported: false } => {
            let k2 = format!("{wire}_2");
            s.arg = quote!([("CALLERID(name)", "Alice ü"), (#k2, "1+1 & x")]);
            let mut m = Map::new();
            m.insert("CALLERID(name)".into(), json!("Alice ü"));
            m.insert(k2, json!("1+1 & x"));
            s.body = Some((Some(wire), Value::Object(m)));
        }
        Kind::Variables { reported: true } => {
            // Both forms of a value: a string, and the object with `report_events`.
            let k2 = format!("{wire}_2");
            s.arg = quote!([
                ("CALLERID(name)", crate::VariableValue::from("Alice ü")),
                (#k2, crate::VariableValue::reported("1+1 & x")),
            ]);
            let mut m = Map::new();
            m.insert("CALLERID(name)".into(), json!("Alice ü"));
            m.insert(k2, json!({"value": "1+1 & x", "report_events": true}));
            s.body = Some((Some(wire), Value::Object(m)));
        }
        Kind::ConfigFields => {
            s.arg = quote!([("max_contacts", "1"), ("allow", "ulaw,alaw")]);
            s.body = Some((
                Some(wire),
                json!([
                    {"attribute": "max_contacts", "value": "1"},
                    {"attribute": "allow", "value": "ulaw,alaw"}
                ]),
            ));
        }
        Kind::WholeBody => {
            let v = json!({"allowed": [{"type": "StasisStart"}], "disallowed": [{"type": "ChannelDtmfReceived"}]});
            let text = v.to_string();
            s.arg = quote!(serde_json::from_str::<serde_json::Value>(#text).expect("JSON"));
            s.body = Some((None, v));
        }
        Kind::BodyField(ty) => {
            let v = sample_json(cx, ty, 0)?;
            let text = v.to_string();
            s.arg = quote!(serde_json::from_str(#text).expect("JSON"));
            s.body = Some((Some(wire), v));
        }
    }
    Ok(s)
}

/// A minimal valid JSON value of a type: every field the spec requires, nothing else.
pub(crate) fn sample_json(cx: &Cx<'_>, ty: &TypeRef, depth: usize) -> Result<Value, EmitError> {
    Ok(match ty {
        TypeRef::String => json!("text"),
        TypeRef::Boolean => json!(true),
        TypeRef::Int | TypeRef::Long => json!(1),
        TypeRef::Double => json!(1.5),
        TypeRef::Date => json!(TIMESTAMP),
        TypeRef::Object => json!({}),
        TypeRef::List(inner) => json!([sample_json(cx, inner, depth + 1)?]),
        TypeRef::Enum(name) => {
            let e = cx.enum_def(name, || "a sample response".to_owned())?;
            json!(e.values.first().map_or("value", |v| v.wire.as_str()))
        }
        TypeRef::Model(name) => {
            let m = cx.model(name, || "a sample response".to_owned())?;
            let mut map = Map::new();
            for f in &m.fields {
                let include = match presence(m, f) {
                    Presence::Required | Presence::Defaulted => true,
                    Presence::Optional => f.required && depth < 4,
                };
                if include {
                    map.insert(f.wire_name.clone(), sample_json(cx, &f.ty, depth + 1)?);
                }
            }
            Value::Object(map)
        }
    })
}

fn test_name(module: &str, op_rust: &str) -> Ident {
    Ident::new(&format!("{module}_{}", op_rust), Span::call_site())
}

/// The case of one operation: data plus the call through the SDK.
fn case(
    cx: &Cx<'_>,
    resource: &str,
    module: &str,
    starter: &TokenStream,
    plan: &OpPlan<'_>,
) -> Result<TokenStream, EmitError> {
    let op = plan.op;
    let samples: Vec<(&Param, Sample)> = op
        .params
        .iter()
        .map(|p| Ok((p, sample(cx, op, p)?)))
        .collect::<Result<_, EmitError>>()?;
    let sample_of = |p: &Param| {
        &samples
            .iter()
            .find(|(q, _)| q.wire_name == p.wire_name && q.location == p.location)
            .expect("every parameter has a sample")
            .1
    };

    // The wire: path, query, body.
    let mut raw_path = String::new();
    let mut segments = Vec::new();
    for s in op.path.segments() {
        raw_path.push('/');
        match s {
            PathSegment::Literal(l) => {
                raw_path.push_str(l);
                segments.push(l.clone());
            }
            PathSegment::Param(w) => {
                let p = op.path_param(w).expect("checked by the plan");
                let v = sample_of(p).path.clone().expect("a path sample");
                raw_path.push_str(&encode(&v, false));
                segments.push(v);
            }
        }
    }
    let mut query_pairs = Vec::new();
    let mut body: Option<Value> = None;
    for (p, s) in &samples {
        if p.location == ParamLocation::Path {
            continue;
        }
        if let Some((name, text)) = &s.query {
            query_pairs.push((name.clone(), text.clone()));
        }
        if let Some((name, value)) = &s.body {
            match name {
                Some(name) => {
                    let obj = body.get_or_insert_with(|| json!({}));
                    obj.as_object_mut()
                        .expect("an object body")
                        .insert(name.clone(), value.clone());
                }
                None => body = Some(value.clone()),
            }
        }
    }
    let raw_query = query_pairs
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n, true), encode(v, true)))
        .collect::<Vec<_>>()
        .join("&");
    let pair_tokens = query_pairs.iter().map(|(n, v)| quote!((#n, #v)));
    let body_tokens = match &body {
        Some(b) => {
            let text = b.to_string();
            quote!(Some(#text))
        }
        None => quote!(None),
    };

    // The call: starter, positional arguments, every setter.
    let method = ident(&op.rust_name, || op.nickname.clone())?;
    let args = plan.positional.iter().map(|p| &sample_of(p).arg);
    let setters = plan
        .optional
        .iter()
        .map(|p| {
            let name = ident(&p.rust_name, || p.wire_name.clone())?;
            let arg = &sample_of(p).arg;
            Ok(quote!(.#name(#arg)))
        })
        .collect::<Result<Vec<_>, EmitError>>()?;
    let (response, finish) = match &op.response {
        ResponseType::Void => (
            quote!(Response::Void),
            quote! {
                builder.await?;
                Ok(Decoded::Void { request })
            },
        ),
        ResponseType::Binary => (
            quote!(Response::Binary),
            quote! {
                let whole = builder.clone().send().await?;
                let streamed = builder.stream().await?;
                Decoded::binary(request, whole, streamed).await
            },
        ),
        ResponseType::Json(ty) => {
            let minimal = sample_json(cx, ty, 0)?.to_string();
            (
                quote!(Response::Json { minimal: #minimal }),
                quote! {
                    let value = builder.await?;
                    Ok(Decoded::json(request, &value))
                },
            )
        }
    };
    let http = op.method.as_str();
    let template = op.path.as_str();
    let nickname = &op.nickname;
    let errors = op.errors.iter().map(|e| {
        let status = e.status;
        let reason = &e.reason;
        quote!((#status, #reason))
    });
    let fn_name = Ident::new(
        &format!("case_{}", test_name(module, &op.rust_name)),
        Span::call_site(),
    );
    Ok(quote! {
        fn #fn_name() -> Case {
            Case {
                resource: #resource,
                operation: #nickname,
                method: #http,
                template: #template,
                path: #raw_path,
                segments: &[#(#segments),*],
                query: #raw_query,
                query_pairs: &[#(#pair_tokens),*],
                body: #body_tokens,
                response: #response,
                errors: &[#(#errors),*],
                call: |client| {
                    Box::pin(async move {
                        let builder = #starter.#method(#(#args),*)#(#setters)*;
                        let request = builder.clone().into_request();
                        #finish
                    })
                },
            }
        }
    })
}

fn handle_starter(h: &Handle<'_>) -> Result<TokenStream, EmitError> {
    let m = ident(&h.method, || h.type_name.clone())?;
    let args = h.params.iter().map(|p| path_value(&p.wire_name));
    Ok(quote!(client.#m(#(#args),*)))
}

/// `contract.rs`.
pub(crate) fn emit(cx: &Cx<'_>, plan: &Plan<'_>) -> Result<TokenStream, EmitError> {
    let mut cases = Vec::new();
    let mut tests = Vec::new();
    let mut case_fns = Vec::new();
    for rp in &plan.resources {
        let resource = rp.resource.wire_name.as_str();
        let mut ops: Vec<(TokenStream, &OpPlan<'_>)> = Vec::new();
        if let Some(acc) = &rp.accessor {
            let m = ident(&acc.method, || acc.type_name.clone())?;
            for o in &acc.ops {
                ops.push((quote!(client.#m()), o));
            }
        }
        for h in &rp.handles {
            let starter = handle_starter(h)?;
            for o in &h.ops {
                ops.push((starter.clone(), o));
            }
        }
        // IR order within the resource.
        ops.sort_by_key(|(_, o)| {
            rp.resource
                .operations
                .iter()
                .position(|x| std::ptr::eq(x, o.op))
                .unwrap_or(usize::MAX)
        });
        for (starter, o) in ops {
            cases.push(case(cx, resource, &rp.module, &starter, o)?);
            let name = test_name(&rp.module, &o.op.rust_name);
            let case_fn = Ident::new(&format!("case_{name}"), Span::call_site());
            case_fns.push(case_fn.clone());
            tests.push(quote! {
                #[tokio::test]
                async fn #name() {
                    check(&#case_fn(), &all_cases()).await;
                }
            });
        }
    }
    let operations = cx.api.resources.iter().flat_map(|r| {
        r.operations.iter().map(move |o| {
            let res = &r.wire_name;
            let nick = &o.nickname;
            quote!((#res, #nick))
        })
    });
    let not_rest = plan.websocket.iter().map(|(r, o)| {
        let res = &r.wire_name;
        let nick = &o.nickname;
        let why = format!(
            "the WebSocket upgrade `{} {}`: opened by the event stream and covered by its tests",
            o.method.as_str(),
            o.path
        );
        quote!((#res, #nick, #why))
    });
    Ok(quote! {
        //! Offline contract tests: every REST operation, called with every parameter set, against
        //! a stub server; see `crate::contract_harness`. Generated from the IR, so an operation
        //! cannot be left out; `coverage` checks the exercised set equals the IR's.

        use crate::contract_harness::{check, coverage, Case, Decoded, Response};

        /// Every operation of the specs, `(resource, nickname)`, REST or not.
        const OPERATIONS: &[(&str, &str)] = &[#(#operations),*];

        /// Operations that are not REST calls, and what covers them.
        const NOT_REST: &[(&str, &str, &str)] = &[#(#not_rest),*];

        /// Every REST operation's case, in IR order.
        fn all_cases() -> Vec<Case> {
            vec![#(#case_fns()),*]
        }

        #[tokio::test]
        async fn coverage_of_every_operation() {
            coverage(OPERATIONS, NOT_REST, &all_cases()).await;
        }

        #(#tests)*

        #(#cases)*
    })
}
