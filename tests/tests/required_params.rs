//! The live required-parameter sweep: which parameters does Asterisk demand that the specs mark optional?
//!
//! Every REST operation that has optional parameters (in the sandbox's version) is called on the sandbox with
//! its spec-required parameters only — valid values, real objects behind its path parameters — over raw HTTP
//! (the SDK already requires what the sweep found). Each `400` whose message says a parameter is required names
//! a parameter Asterisk demands. The sweep then holds those against the generator's curated table
//! (`ari_codegen::server_required::TABLE`, which makes them required in the generated API):
//!
//! * a parameter Asterisk demands that the table lacks fails the test (add it, citing tests/FINDINGS.md);
//! * a table entry Asterisk no longer demands, or that the sweep could not check, fails it too;
//! * any other `400` fails it, unless it is one of the known conditional requirements listed below.
//!
//! Answers that are not about parameters (404 for an endpoint the sandbox lacks, …) are printed: the sweep
//! learns nothing about those operations here, and says so.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ari_codegen::ir::{HttpMethod, Operation, ParamLocation, PathSegment, Version};
use ari_live_tests::{encode, Scene};
use serde_json::Value;

/// 400 answers that are not about one missing parameter — (operation, start of Asterisk's message, why) — so
/// they make nothing required; each must still be seen.
const CONDITIONAL: &[(&str, &str, &str)] = &[
    (
        "updateObject",
        "Creation of object '",
        "creating a res_websocket_client object needs its `uri` among the `fields`: required by the object type, \
         not by the operation (updating an existing object without fields succeeds)",
    ),
    (
        "originate",
        "Application or extension must be specified",
        "either `app` or `extension`, not one particular parameter",
    ),
    (
        "originateWithId",
        "Application or extension must be specified",
        "either `app` or `extension`, not one particular parameter",
    ),
    (
        "externalMedia",
        "external_host is required for all but websocket server connections",
        "needed unless `transport=websocket` with `connection_type=server`",
    ),
    (
        "snoopChannel",
        "Direction must be specified for at least spy or whisper",
        "either `spy` or `whisper`, not one particular parameter",
    ),
    (
        "snoopChannelWithId",
        "Direction must be specified for at least spy or whisper",
        "either `spy` or `whisper`, not one particular parameter",
    ),
];

/// What one call taught.
#[derive(Debug)]
enum Outcome {
    /// 2xx: nothing more was needed.
    Accepted,
    /// 400 naming a parameter.
    Demands { param: String, message: String },
    /// Another answer (the sweep could not tell).
    Other { status: u16, message: String },
}

struct Sweep {
    scene: Scene,
}

impl Sweep {
    /// A fresh answered channel in the sweep's application.
    async fn channel(&mut self) -> String {
        self.scene.channel("wait").await
    }

    /// A fresh channel made with `POST /channels/create` (in the application, not dialled yet).
    async fn created_channel(&mut self) -> String {
        let id = self.scene.unique("created");
        self.scene.cleanup.channel(&id);
        let endpoint = self.scene.local("wait");
        let query = [
            ("endpoint", endpoint.as_str()),
            ("app", &self.scene.app),
            ("channelId", &id),
        ];
        self.create("a channel", "channels/create", &query).await;
        id
    }

    async fn bridge(&mut self) -> String {
        let id = self.scene.unique("bridge");
        self.scene.cleanup.bridge(&id);
        let path = format!("bridges/{}", encode(&id));
        self.create("a bridge", &path, &[]).await;
        id
    }

    /// `POST path` with `query`, which must succeed (`what` names what it makes).
    async fn create(&self, what: &str, path: &str, query: &[(&str, &str)]) {
        let response = self.scene.ari.post(path, query).await;
        assert!(
            response.status().is_success(),
            "creating {what}: {}",
            response.status()
        );
    }

    /// The value for path parameter `name` of `op`.
    async fn path_value(&mut self, op: &Operation, name: &str) -> String {
        match name {
            "channelId" if op.nickname == "originateWithId" => self.scene.unique("orig"),
            "channelId" if op.nickname == "dial" => self.created_channel().await,
            "channelId" => self.channel().await,
            "bridgeId" if op.nickname == "createWithId" => self.scene.unique("bridge-new"),
            "bridgeId" => self.bridge().await,
            "playbackId" => self.scene.unique("pb"),
            "snoopId" => self.scene.unique("snoop"),
            "applicationName" => self.scene.app.clone(),
            "eventName" => "sweep".to_owned(),
            "configClass" => "res_websocket_client".to_owned(),
            "objectType" => "websocket_client".to_owned(),
            "id" => self.scene.unique("ws"),
            "tech" => "PJSIP".to_owned(),
            "resource" => "nobody".to_owned(),
            other => panic!(
                "the sweep has no value for path parameter {other} of {}",
                op.nickname
            ),
        }
    }

    /// A valid value for the required query parameter `name` of `op`.
    async fn query_value(&mut self, op: &Operation, name: &str) -> String {
        match name {
            "endpoint" => self.scene.local("wait"),
            "app" | "application" => self.scene.app.clone(),
            "variable" => "ARI_SDK_SWEEP".to_owned(),
            "channel" => self.channel().await,
            "media" => "sound:hello-world".to_owned(),
            "name" => {
                let name = self.scene.unique("rec");
                self.scene.cleanup.recording(&name);
                name
            }
            "format" if op.nickname == "externalMedia" => "ulaw".to_owned(),
            "format" => "wav".to_owned(),
            "to" | "from" | "refer_to" => "pjsip:nobody@127.0.0.1".to_owned(),
            other => panic!(
                "the sweep has no value for query parameter {other} of {}",
                op.nickname
            ),
        }
    }

    /// Calls `op` with its required parameters only.
    async fn call(&mut self, op: &Operation) -> Outcome {
        let mut path = String::new();
        for segment in op.path.segments() {
            path.push('/');
            match segment {
                PathSegment::Literal(l) => path.push_str(l),
                PathSegment::Param(p) => {
                    let value = self.path_value(op, p).await;
                    path.push_str(&encode(&value));
                }
            }
        }
        let mut query = Vec::new();
        for p in op.params.iter().filter(|p| p.required) {
            match p.location {
                ParamLocation::Path => {}
                ParamLocation::Query => query.push((
                    p.wire_name.clone(),
                    self.query_value(op, &p.wire_name).await,
                )),
                ParamLocation::Body => {
                    panic!("{}: a required body parameter {}", op.nickname, p.wire_name)
                }
            }
        }
        let method = match op.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Delete => reqwest::Method::DELETE,
        };
        let response = self
            .scene
            .ari
            .request(method, &path)
            .query(&query)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} {path}: {e}", op.nickname));
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        self.clean_up_created(&json);
        if (200..300).contains(&status) {
            return Outcome::Accepted;
        }
        let message = json["message"]
            .as_str()
            .or(json["error"].as_str())
            .unwrap_or(body.trim())
            .to_owned();
        if status == 400 {
            if let Some(param) = demanded_param(op, &message) {
                return Outcome::Demands { param, message };
            }
        }
        Outcome::Other { status, message }
    }

    /// Registers for cleanup whatever a successful call created (a channel, bridge, playback, recording).
    fn clean_up_created(&mut self, json: &Value) {
        let id = json["id"].as_str();
        let cleanup = &mut self.scene.cleanup;
        match (
            id,
            json.get("media_uri"),
            json.get("bridge_type"),
            json.get("state"),
        ) {
            (Some(id), Some(_), _, _) => {
                cleanup.request(reqwest::Method::DELETE, format!("playbacks/{}", encode(id)))
            }
            (Some(id), None, Some(_), _) => cleanup.bridge(id),
            (Some(id), None, None, Some(_)) => cleanup.channel(id),
            _ => {}
        }
        if let (Some(name), Some(_)) = (json["name"].as_str(), json.get("format")) {
            cleanup.recording(name);
        }
    }
}

/// The optional parameter of `op` that a 400 `message` says is required (`DTMF is required` → `dtmf`).
fn demanded_param(op: &Operation, message: &str) -> Option<String> {
    let lower = message.to_lowercase();
    if !lower.contains("required") && !lower.contains("must be") && !lower.contains("missing") {
        return None;
    }
    let words: BTreeSet<String> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map(str::to_owned)
        .collect();
    let named: Vec<&str> = op
        .params
        .iter()
        .filter(|p| !p.required && words.contains(&p.wire_name.to_lowercase()))
        .map(|p| p.wire_name.as_str())
        .collect();
    match named.as_slice() {
        [one] => Some((*one).to_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn asterisk_demands_exactly_the_parameters_of_the_server_required_table() {
    let scene = Scene::new("sweep").await;
    let version = ari_live_tests::numeric_version(
        &scene
            .client
            .asterisk()
            .get_info()
            .await
            .expect("GET /asterisk/info")
            .system
            .expect("system")
            .version,
    );
    let version = Version {
        parts: version
            .split('.')
            .map(|p| p.parse().expect("numeric version"))
            .collect(),
    };
    let specs = xtask::workspace_root().join("specs");
    let api = ari_codegen::load_union(&specs)
        .expect("loading the imported specs (cargo xtask specs import)");
    let mut sweep = Sweep { scene };

    let mut demanded: BTreeMap<(String, String, String), String> = BTreeMap::new();
    let mut unanswered: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut conditional_seen = BTreeSet::new();
    let mut unexpected = Vec::new();
    let mut swept = 0;
    for resource in &api.resources {
        for op in &resource.operations {
            let in_version = op.versions.0.contains(&version);
            let has_optional = op
                .params
                .iter()
                .any(|p| !p.required && p.versions.0.contains(&version));
            if !in_version || !has_optional {
                continue;
            }
            if op.is_websocket {
                // GET /events: every event connection of the suite is made without `subscribeAll`.
                swept += 1;
                continue;
            }
            swept += 1;
            let outcome = tokio::time::timeout(Duration::from_secs(30), sweep.call(op))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{}.{}: no answer within 30 s",
                        resource.wire_name, op.nickname
                    )
                });
            println!("{:>12}.{:<24} {outcome:?}", resource.wire_name, op.nickname);
            let key = (resource.wire_name.clone(), op.nickname.clone());
            let known = |message: &str| {
                CONDITIONAL
                    .iter()
                    .find(|(name, start, _)| *name == op.nickname && message.starts_with(start))
                    .map(|(name, start, _)| (*name, *start))
            };
            match outcome {
                Outcome::Accepted => {}
                Outcome::Demands { message, .. }
                | Outcome::Other {
                    status: 400,
                    message,
                } if known(&message).is_some() => {
                    conditional_seen.insert(known(&message).expect("checked"));
                }
                Outcome::Demands { param, message } => {
                    demanded.insert((key.0, key.1, param), message);
                }
                Outcome::Other {
                    status: 400,
                    message,
                } => unexpected.push(format!(
                    "{}.{}: 400 {message:?}",
                    resource.wire_name, op.nickname
                )),
                Outcome::Other { status, message } => {
                    unanswered.insert(key, format!("{status} {message}"));
                }
            }
        }
    }
    println!("swept {swept} operations with optional parameters on Asterisk {version:?}");
    println!("Asterisk demanded: {demanded:#?}");
    println!("not answered about parameters (the sweep learns nothing about these here): {unanswered:#?}");

    assert!(
        unexpected.is_empty(),
        "answers of 400 to the required parameters alone that name no single missing parameter and are no known \
         conditional requirement (add them to CONDITIONAL with the reason, or teach demanded_param): {unexpected:#?}"
    );
    let table: BTreeMap<(String, String, String), &str> = ari_codegen::server_required::TABLE
        .iter()
        .map(|e| {
            (
                (
                    e.resource.to_owned(),
                    e.operation.to_owned(),
                    e.param.to_owned(),
                ),
                e.message,
            )
        })
        .collect();
    for (key, message) in &demanded {
        assert!(
            table.contains_key(key),
            "Asterisk demands {}.{} `{}` ({message:?}) but ari-codegen's server_required::TABLE lacks it: add it \
             and record the finding in tests/FINDINGS.md",
            key.0,
            key.1,
            key.2
        );
        assert_eq!(
            table[key], message,
            "the table records Asterisk's message for {key:?}"
        );
    }
    for key in table.keys() {
        let op = (key.0.clone(), key.1.clone());
        assert!(
            !unanswered.contains_key(&op),
            "the sweep could not check the table entry {key:?}: {}",
            unanswered[&op]
        );
        assert!(
            demanded.contains_key(key),
            "Asterisk no longer demands the table entry {key:?}: remove it from ari-codegen's server_required::TABLE"
        );
    }
    for (op, start, _) in CONDITIONAL {
        assert!(
            conditional_seen.contains(&(*op, *start)),
            "the known conditional requirement {op}: {start:?}… was not seen"
        );
    }
}
