//! The `asterisk` resource (system information, global variables, modules, log channels,
//! dynamic configuration), `sounds` and `deviceStates`.

use ari_live_tests::{connect_suite, expect_api_error, numeric_version};
use ari_sdk::enums::{DeviceStateValue, InfoSection};

#[tokio::test]
async fn info_ping_and_global_variables() {
    let (ari, client) = connect_suite().await;

    let info = client.asterisk().get_info().await.expect("getInfo");
    let system = info.system.expect("getInfo has a system section");
    if let Some(expected) = &ari.target.expected_version {
        assert_eq!(numeric_version(&system.version), *expected);
    }
    assert!(info.build.is_some() && info.config.is_some() && info.status.is_some());
    // `only` narrows the answer to the sections asked for.
    let only = client
        .asterisk()
        .get_info()
        .only([InfoSection::Build, InfoSection::Status])
        .await
        .expect("getInfo only=build,status");
    assert!(only.build.is_some() && only.status.is_some());
    assert!(only.system.is_none() && only.config.is_none(), "{only:?}");

    let ping = client.asterisk().ping().await.expect("ping");
    assert_eq!(ping.ping, "pong");
    assert!(!ping.asterisk_id.is_empty());

    // A global variable set through ARI reads back, spaces, slashes and non-ASCII included.
    let name = ari.unique("GLOBAL").replace('-', "_").to_uppercase();
    let unset = client
        .asterisk()
        .get_global_var(&name)
        .await
        .expect("get unset");
    assert_eq!(unset.value, "");
    let value = "a b/c?d&e=f+g ü€";
    client
        .asterisk()
        .set_global_var(&name)
        .value(value)
        .await
        .expect("setGlobalVar");
    let read = client.asterisk().get_global_var(&name).await.expect("get");
    assert_eq!(read.value, value);
}

#[tokio::test]
async fn modules_list_get_reload_unload_load() {
    let (_ari, client) = connect_suite().await;
    let modules = client.asterisk().list_modules().await.expect("listModules");
    assert!(
        modules
            .iter()
            .any(|m| m.name == "res_ari.so" && m.status == "Running"),
        "res_ari.so is not running"
    );

    // Reload (a module no other test relies on: the speex codec): the server's last reload
    // time moves.
    let last_reload = || async {
        client
            .asterisk()
            .get_info()
            .only([InfoSection::Status])
            .await
            .expect("getInfo")
            .status
            .expect("status")
            .last_reload_time
    };
    let before = last_reload().await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    client
        .module("codec_speex.so")
        .reload_module()
        .await
        .expect("reloadModule");
    let after = last_reload().await;
    assert!(after > before, "last_reload_time {before} -> {after}");
    expect_api_error!(
        client.module("func_md5.so").reload_module(),
        409,
        "Module does not support reloading"
    );

    // Unload and load a module no other test uses.
    let md5 = client.module("func_md5.so");
    let module = md5.get_module().await.expect("getModule");
    assert_eq!(
        (module.name.as_str(), module.status.as_str()),
        ("func_md5.so", "Running")
    );
    md5.unload_module().await.expect("unloadModule");
    expect_api_error!(
        md5.get_module(),
        404,
        "Module could not be found in running modules"
    );
    expect_api_error!(
        md5.unload_module(),
        404,
        "Module not found in running modules"
    );
    md5.load_module().await.expect("loadModule");
    assert_eq!(md5.get_module().await.expect("getModule").status, "Running");
    expect_api_error!(md5.load_module(), 409, "Module is already loaded");
    expect_api_error!(
        client.module("no_such_module.so").load_module(),
        409,
        "Module load declined"
    );
}

#[tokio::test]
async fn log_channels_appear_rotate_and_go() {
    // The only test that touches log channels: rotating reloads the logger, which drops every
    // log channel made through ARI.
    let (ari, client) = connect_suite().await;
    let name = ari.unique("log");
    let log = client.log_channel(&name);
    let suffix = format!("/{name}");
    let listed = |channels: &[ari_sdk::models::LogChannel]| {
        channels
            .iter()
            .find(|c| c.channel.ends_with(&suffix))
            .cloned()
    };

    log.add_log("notice,warning").await.expect("addLog");
    let channels = client
        .asterisk()
        .list_log_channels()
        .await
        .expect("listLogChannels");
    let channel = listed(&channels).unwrap_or_else(|| panic!("{name} not in {channels:?}"));
    assert_eq!(
        (channel.kind.as_str(), channel.status.as_str()),
        ("File", "Enabled")
    );
    assert_eq!(channel.configuration.trim_end(), "NOTICE WARNING");
    expect_api_error!(log.add_log("notice"), 409, "Log channel already exists");

    log.delete_log().await.expect("deleteLog");
    let channels = client.asterisk().list_log_channels().await.expect("list");
    assert!(listed(&channels).is_none(), "{name} still listed");
    expect_api_error!(log.delete_log(), 404, "Log channel does not exist");
    expect_api_error!(log.rotate_log(), 404, "Log channel does not exist");

    // Rotation works on a channel that exists, and (a finding) reloads the logger, after which
    // the ARI-made channel is gone.
    log.add_log("notice").await.expect("addLog again");
    log.rotate_log().await.expect("rotateLog");
    let channels = client.asterisk().list_log_channels().await.expect("list");
    assert!(
        listed(&channels).is_none(),
        "after rotation {name} is still listed: {channels:?}"
    );
}

#[tokio::test]
async fn config_objects_create_read_update_delete() {
    // The sandbox gives res_pjsip's `aor` objects a memory wizard (sorcery.conf), so they can be
    // created at run time (on every Asterisk the sandbox runs; res_websocket_client's objects,
    // which are memory-backed too, exist from 20 on only).
    let (ari, client) = connect_suite().await;
    let id = ari.unique("aor");
    let object = client.config_object("res_pjsip", "aor", &id);
    let value_of = |tuples: &[ari_sdk::models::ConfigTuple], attribute: &str| {
        tuples
            .iter()
            .find(|t| t.attribute == attribute)
            .map(|t| t.value.clone())
    };

    expect_api_error!(
        object.get_object(),
        404,
        &format!("Object with id '{id}' not found")
    );
    let created = object
        .update_object()
        .fields([
            ("max_contacts", "3"),
            ("remove_existing", "yes"),
            ("qualify_frequency", "0"),
        ])
        .await
        .expect("updateObject (create)");
    assert_eq!(value_of(&created, "max_contacts").as_deref(), Some("3"));
    let read = object.get_object().await.expect("getObject");
    assert_eq!(read, created);
    assert_eq!(value_of(&read, "remove_existing").as_deref(), Some("true"));

    let updated = object
        .update_object()
        .fields([("max_contacts", "5")])
        .await
        .expect("updateObject (update)");
    assert_eq!(value_of(&updated, "max_contacts").as_deref(), Some("5"));
    assert_eq!(
        value_of(
            &object.get_object().await.expect("getObject"),
            "max_contacts"
        )
        .as_deref(),
        Some("5")
    );

    object.delete_object().await.expect("deleteObject");
    expect_api_error!(
        object.get_object(),
        404,
        &format!("Object with id '{id}' not found")
    );
    expect_api_error!(
        client
            .config_object("no_such_class", "aor", &id)
            .delete_object(),
        404,
        "configClass 'no_such_class' not found"
    );
}

#[tokio::test]
async fn sounds_list_and_get() {
    let (_ari, client) = connect_suite().await;
    let sounds = client
        .sounds()
        .list()
        .lang("en")
        .format("gsm")
        .await
        .expect("sounds list");
    let hello = sounds
        .iter()
        .find(|s| s.id == "hello-world")
        .expect("hello-world is listed");
    assert!(hello
        .formats
        .iter()
        .any(|f| f.language == "en" && f.format == "gsm"));

    let sound = client.sound("hello-world").get().await.expect("sounds get");
    assert_eq!(sound.id, "hello-world");
    assert!(sound.formats.iter().any(|f| f.format == "gsm"));
    // Sound ids contain slashes (sub-directories): the encoded slash reaches Asterisk intact.
    let nested = sounds
        .iter()
        .find(|s| s.id.contains('/'))
        .expect("a sound in a sub-directory");
    let sound = client.sound(&nested.id).get().await.expect("nested sound");
    assert_eq!(sound.id, nested.id);
    expect_api_error!(client.sound("no-such-sound").get(), 404, "Sound not found");
}

#[tokio::test]
async fn device_states_update_read_delete() {
    let (ari, client) = connect_suite().await;
    let name = format!("Stasis:{}", ari.unique("device"));
    let device = client.device_state(&name);

    device
        .update(DeviceStateValue::Busy)
        .await
        .expect("update BUSY");
    let state = device.get().await.expect("get");
    assert_eq!(
        (state.name.as_str(), state.state),
        (name.as_str(), DeviceStateValue::Busy)
    );
    let all = client.device_states().list().await.expect("list");
    assert!(
        all.iter()
            .any(|d| d.name == name && d.state == DeviceStateValue::Busy),
        "{name} not listed: {all:?}"
    );
    device
        .update(DeviceStateValue::Onhold)
        .await
        .expect("update ONHOLD");
    assert_eq!(
        device.get().await.expect("get").state,
        DeviceStateValue::Onhold
    );

    device.delete().await.expect("delete");
    // Deleted: no longer listed; reading it gives UNKNOWN, not 404.
    let all = client.device_states().list().await.expect("list");
    assert!(all.iter().all(|d| d.name != name), "{name} still listed");
    assert_eq!(
        device.get().await.expect("get").state,
        DeviceStateValue::Unknown
    );

    expect_api_error!(
        client
            .device_state("Local:not-ours")
            .update(DeviceStateValue::Busy),
        409,
        "Uncontrolled device specified"
    );
}
