//! The real Asterisk versions pinned in `specs/specs.lock` (imported into `<workspace>/specs/`
//! by `cargo xtask specs import ../shared/specs`) parse, fix up and lower. Every version of the
//! lock is checked for what must hold for any version; the facts measured on specific versions
//! come from the one table in `common/known.rs` and are checked on those versions only.
//! Missing specs are a failure, not a skip.

mod common;

use ari_codegen::ir::{Api, TypeRef, Version, VersionSet};
use ari_codegen::summary::counts;
use common::known::{KNOWN_CONFLICTS, KNOWN_UNION, KNOWN_VERSIONS};

/// The facts pinned about the union are checked on the known versions' union.
fn api() -> &'static Api {
    common::api_known()
}

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn set(versions: &[&str]) -> VersionSet {
    versions.iter().map(|s| v(s)).collect()
}

#[test]
fn every_lock_version_is_loaded_and_known_versions_have_their_counts() {
    let all = common::api_all();
    let versions: Vec<String> = all.versions.iter().map(ToString::to_string).collect();
    assert_eq!(versions, common::lock_versions());
    assert!(!versions.is_empty());
    // The union holds everything of each version.
    let union = counts(all, None);
    for version in &all.versions {
        let c = counts(all, Some(version));
        assert!(
            c.operations > 0 && c.operations <= union.operations,
            "{version}"
        );
        assert!(c.events > 0 && c.events <= union.events, "{version}");
    }
    for k in KNOWN_VERSIONS {
        let c = counts(all, Some(&v(k.version)));
        assert_eq!(
            (c.resources, c.operations, c.models, c.events, c.enums),
            (k.resources, k.operations, k.models, k.events, k.enums),
            "{}",
            k.version
        );
    }
    let union = counts(api(), None);
    assert_eq!(
        (
            union.resources,
            union.operations,
            union.models,
            union.events,
            union.enums
        ),
        KNOWN_UNION
    );
    let summary = ari_codegen::summary::render(api());
    assert!(summary.contains(
        "Asterisk 23.4.1: 11 resources, 109 operations, 85 models, 45 events, 18 enums\n"
    ));
    assert!(summary.contains("  operation channels.getChannelVars: {20.20.1, 22.10.1, 23.4.1}\n"));
    assert!(summary.contains("  event ChannelToneDetected: {22.10.1, 23.4.1}\n"));
}

#[test]
fn branch_specific_items() {
    let api = api();
    assert_eq!(
        api.operation("channels", "getChannelVars")
            .unwrap()
            .versions,
        set(&["20.20.1", "22.10.1", "23.4.1"])
    );
    assert_eq!(
        api.event("ChannelToneDetected").unwrap().versions,
        set(&["22.10.1", "23.4.1"])
    );
    // Branches are not a line: 21.12.3 lacks what 20.20.1 has.
    assert_eq!(
        api.operation("events", "claimChannel").unwrap().versions,
        set(&["20.20.1", "22.10.1", "23.4.1"])
    );
    assert_eq!(
        api.event("CallBroadcast").unwrap().versions,
        set(&["20.20.1", "22.10.1", "23.4.1"])
    );
    assert_eq!(
        api.operation("channels", "transfer_progress")
            .unwrap()
            .versions,
        set(&["20.20.1", "21.12.3", "22.10.1", "23.4.1"])
    );
    assert_eq!(
        api.operation("channels", "hangup")
            .unwrap()
            .param("reason_code")
            .unwrap()
            .versions,
        set(&["18.26.4", "20.20.1", "21.12.3", "22.10.1", "23.4.1"])
    );
    assert_eq!(
        api.enums["BridgeType"].value("sdp_label").unwrap().versions,
        set(&["18.26.4", "20.20.1", "21.12.3", "22.10.1", "23.4.1"])
    );
}

#[test]
fn event_hierarchy() {
    let api = api();
    let messages: Vec<&str> = api
        .events
        .messages
        .iter()
        .map(|m| m.wire_name.as_str())
        .collect();
    assert_eq!(messages, ["MissingParams"]);
    assert_eq!(api.events.message.field("type").unwrap().rust_name, "kind");
    assert_eq!(
        api.events.event.field("timestamp").unwrap().ty,
        TypeRef::Date
    );
    assert!(api.event("StasisStart").is_some() && api.event("RESTResponse").is_some());
    assert!(api.models.contains_key("RESTRequest") && !api.models.contains_key("StasisStart"));
    assert!(api.event("ApplicationReplaced").unwrap().fields.is_empty());
}

#[test]
fn enums_and_their_names() {
    let api = api();
    let names: Vec<&str> = api.enums.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "BridgeType",
            "ChannelState",
            "ContactStatus",
            "DeviceStateValue",
            "EndpointState",
            "ExternalMediaConnectionType",
            "ExternalMediaEncapsulation",
            "ExternalMediaTransport",
            "HangupReason",
            "InfoSection",
            "LiveRecordingState",
            "MediaDirection",
            "PlaybackOperation",
            "PlaybackState",
            "RecordIfExists",
            "RecordTerminateOn",
            "SnoopDirection",
            "TransferProgressState",
        ]
    );
    // Every curated name is in use, on the site it names (no stale entries).
    for (site, name) in ari_codegen::curated::ENUM_NAMES {
        assert!(
            api.enums[*name].used_by.iter().any(|s| s == site),
            "{site} → {name} is unused"
        );
    }
    assert_eq!(
        api.enums["SnoopDirection"].used_by,
        [
            "channels.snoopChannel.spy",
            "channels.snoopChannel.whisper",
            "channels.snoopChannelWithId.spy",
            "channels.snoopChannelWithId.whisper"
        ]
    );
    let create = api
        .operation("bridges", "create")
        .unwrap()
        .param("type")
        .unwrap();
    assert_eq!(
        (create.rust_name.as_str(), &create.ty, create.allow_multiple),
        ("kind", &TypeRef::Enum("BridgeType".into()), true)
    );
    assert!(api.enums["TransferProgressState"].from_prose);
    let state = &api.enums["ChannelState"];
    assert!(
        state.value("Rsrvd").is_some()
            && state.value("Mute").is_some()
            && state.value("Rsrved").is_none()
    );
    assert!(api.enums["PlaybackState"].value("paused").is_some());
}

#[test]
fn known_differences() {
    let api = api();
    assert_eq!(api.conflicts, KNOWN_CONFLICTS);
    // `priority` differs across operations, not versions.
    let originate = api.operation("channels", "originate").unwrap();
    assert_eq!(originate.param("priority").unwrap().ty, TypeRef::Long);
    let cont = api.operation("channels", "continueInDialplan").unwrap();
    assert_eq!(cont.param("priority").unwrap().ty, TypeRef::Int);
    // The same wire name as query on GET and as body on POST.
    let get_vars = api
        .operation("channels", "getChannelVars")
        .unwrap()
        .param("variables")
        .unwrap();
    let set_vars = api
        .operation("channels", "setChannelVars")
        .unwrap()
        .param("variables")
        .unwrap();
    assert_eq!(get_vars.location, ari_codegen::ir::ParamLocation::Query);
    assert_eq!(set_vars.location, ari_codegen::ir::ParamLocation::Body);
}

#[test]
fn no_unknown_keys_in_any_version() {
    for l in common::loaded() {
        assert!(
            l.spec.warnings.is_empty(),
            "{}: {:?}",
            l.spec.version,
            l.spec.warnings
        );
    }
}

#[test]
fn fixups_apply_where_measured_and_none_is_stale() {
    // load_specs already failed if a fixup applied nowhere; here the places per known version.
    for (k, l) in KNOWN_VERSIONS.iter().zip(common::loaded_known()) {
        let applied: Vec<(&str, usize)> = l.fixups.iter().map(|a| (a.fixup, a.count)).collect();
        assert_eq!(applied, k.fixups, "{}", k.version);
    }
    // Every fixup is in the table somewhere, so none is stale on the known versions alone.
    for f in ari_codegen::fixups::ASTERISK {
        assert!(
            KNOWN_VERSIONS
                .iter()
                .any(|k| k.fixups.iter().any(|(name, _)| *name == f.name)),
            "{} applies to none of the known versions",
            f.name
        );
    }
}

#[test]
fn every_reference_resolves_and_names_are_identifiers() {
    let api = common::api_all();
    fn check(api: &Api, ty: &TypeRef) {
        match ty {
            TypeRef::Model(m) => assert!(api.any_model(m).is_some(), "model {m}"),
            TypeRef::Enum(e) => assert!(api.enums.contains_key(e), "enum {e}"),
            TypeRef::List(inner) => check(api, inner),
            _ => {}
        }
    }
    let ident = |name: &str| assert!(syn::parse_str::<syn::Ident>(name).is_ok(), "`{name}`");
    for r in &api.resources {
        ident(&r.rust_name);
        for o in &r.operations {
            ident(&o.rust_name);
            assert!(o.versions.len() <= r.versions.len());
            for p in &o.params {
                ident(&p.rust_name);
                check(api, &p.ty);
            }
            if let ari_codegen::ir::ResponseType::Json(ty) = &o.response {
                check(api, ty);
            }
        }
    }
    for m in api.all_models() {
        ident(&m.rust_name);
        for f in &m.fields {
            ident(&f.rust_name);
            check(api, &f.ty);
        }
    }
    for e in api.enums.values() {
        ident(&e.rust_name);
        e.values.iter().for_each(|x| ident(&x.rust_name));
    }
}

#[test]
fn lowering_is_deterministic() {
    let again = ari_codegen::load_union(&common::specs_root()).unwrap();
    assert_eq!(&again, common::api_all());
}
