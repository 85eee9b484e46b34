//! The multi-version union on two tiny versions.

mod common;

use ari_codegen::ir::{Api, ParamLocation, TypeRef, VersionSet};
use common::named::wire_versions;
use common::{fixture, v};

fn load(ver: &str) -> ari_codegen::spec::SpecVersion {
    let dir = fixture("union").join(format!("asterisk-{ver}"));
    ari_codegen::load_version(v(ver), &dir, &[])
        .expect("union fixture loads")
        .spec
}

fn api() -> Api {
    // Given newest first on purpose: the union orders versions itself.
    ari_codegen::lower(&[load("2.0.0"), load("1.0.0")]).expect("union lowers")
}

fn set(versions: &[&str]) -> VersionSet {
    versions.iter().map(|s| v(s)).collect()
}

#[test]
fn operations_carry_their_versions() {
    let api = api();
    assert_eq!(api.versions, [v("1.0.0"), v("2.0.0")]);
    let things = api.resource("things").unwrap();
    assert_eq!(things.versions, set(&["1.0.0", "2.0.0"]));
    let ops = wire_versions(&things.operations);
    assert_eq!(
        ops,
        [
            ("list", set(&["1.0.0", "2.0.0"])),
            ("get", set(&["1.0.0", "2.0.0"])),
            ("old", set(&["1.0.0"])),
            ("rename", set(&["2.0.0"])),
        ]
    );
    // Newest description wins.
    assert_eq!(
        api.operation("things", "list").unwrap().summary,
        "List things (v2)."
    );
}

#[test]
fn params_and_errors_carry_their_versions() {
    let api = api();
    let get = api.operation("things", "get").unwrap();
    let params = wire_versions(&get.params);
    // Newest order first, then what only older versions have; path params first.
    assert_eq!(
        params,
        [
            ("thingId", set(&["1.0.0", "2.0.0"])),
            ("fields", set(&["2.0.0"])),
            ("verbose", set(&["1.0.0"]))
        ]
    );
    assert_eq!(get.params[0].location, ParamLocation::Path);
    let errors: Vec<(u16, VersionSet)> = get
        .errors
        .iter()
        .map(|e| (e.status, e.versions.clone()))
        .collect();
    assert_eq!(
        errors,
        [(400, set(&["2.0.0"])), (404, set(&["1.0.0", "2.0.0"]))]
    );

    // A type change between versions: reported, newest kept.
    let limit = api
        .operation("things", "list")
        .unwrap()
        .param("limit")
        .unwrap();
    assert_eq!(limit.ty, TypeRef::Long);
    assert!(!limit.required);
}

#[test]
fn models_fields_events_and_enum_values_carry_their_versions() {
    let api = api();
    let thing = &api.models["Thing"];
    let fields = wire_versions(&thing.fields);
    assert_eq!(
        fields,
        [
            ("color", set(&["2.0.0"])),
            ("id", set(&["1.0.0", "2.0.0"])),
            ("mode", set(&["1.0.0", "2.0.0"])),
            ("size", set(&["1.0.0", "2.0.0"])),
        ]
    );
    let events = wire_versions(&api.events.events);
    assert_eq!(
        events,
        [
            ("ThingCreated", set(&["1.0.0", "2.0.0"])),
            ("ThingDeleted", set(&["2.0.0"]))
        ]
    );
    assert_eq!(
        api.event("ThingCreated")
            .unwrap()
            .field("by")
            .unwrap()
            .versions,
        set(&["2.0.0"])
    );

    // `list.mode` and `Thing.mode` have different default names (ListMode, ThingMode): two enums.
    let names: Vec<&str> = api.enums.keys().map(String::as_str).collect();
    assert_eq!(names, ["ListMode", "ThingMode"]);
    let values = wire_versions(&api.enums["ListMode"].values);
    assert_eq!(
        values,
        [
            ("a", set(&["1.0.0", "2.0.0"])),
            ("b", set(&["1.0.0", "2.0.0"])),
            ("c", set(&["2.0.0"]))
        ]
    );
}

#[test]
fn changes_between_versions_are_reported() {
    assert_eq!(
        api().conflicts,
        [
            "field Thing.size: type differs: int in {1.0.0}; long in {2.0.0}; keeping long",
            "param things.list.limit: required differs: true in {1.0.0}; false in {2.0.0}; keeping false",
            "param things.list.limit: type differs: int in {1.0.0}; long in {2.0.0}; keeping long",
        ]
    );
}

#[test]
fn summary_lists_partial_items() {
    let api = api();
    assert_eq!(
        ari_codegen::summary::partial_items(&api),
        [
            "param things.get.fields: {2.0.0}",
            "param things.get.verbose: {1.0.0}",
            "error response things.get 400: {2.0.0}",
            "operation things.old: {1.0.0}",
            "operation things.rename: {2.0.0}",
            "field Thing.color: {2.0.0}",
            "field ThingCreated.by: {2.0.0}",
            "event ThingDeleted: {2.0.0}",
            "enum value ListMode.c: {2.0.0}",
        ]
    );
    // events.json has no operations here, so it is not a resource.
    let c = ari_codegen::summary::counts(&api, Some(&v("1.0.0")));
    assert_eq!(
        (c.resources, c.operations, c.models, c.events, c.enums),
        (1, 3, 4, 1, 2)
    );
    let c = ari_codegen::summary::counts(&api, None);
    assert_eq!(
        (c.resources, c.operations, c.models, c.events, c.enums),
        (1, 4, 5, 2, 2)
    );
}
