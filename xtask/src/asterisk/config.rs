//! The sandbox's own Asterisk configuration, written fresh by every `up`.
//!
//! Each instance gets its own directory tree inside the cached root (`/var/lib/ari-sdk/<name>`
//! as Asterisk sees it): `etc/` with these files, and its own run, spool, log, database and
//! cache directories, named by the `asterisk.conf` passed with `-C`. The binaries, modules,
//! sounds and music-on-hold files are shared from the root.

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The dialplan context holding the test extensions.
pub const CONTEXT: &str = "ari-sdk";
/// The ARI user that may read and write.
pub const ARI_USER: &str = "ari-sdk";
/// The ARI user with `read_only = yes`.
pub const ARI_READ_ONLY_USER: &str = "ari-sdk-ro";
/// Prefix for Stasis application names made by tests.
pub const APP_PREFIX: &str = "ari-sdk-test";

/// Modules the ARI work needs: `up` fails unless every one of them is running.
pub const REQUIRED_MODULES: &[&str] = &[
    // ARI and Stasis.
    "res_http_websocket",
    "res_stasis",
    "res_ari",
    "res_ari_model",
    "app_stasis",
    "res_ari_applications",
    "res_ari_asterisk",
    "res_ari_bridges",
    "res_ari_channels",
    "res_ari_device_states",
    "res_ari_endpoints",
    "res_ari_events",
    "res_ari_playbacks",
    "res_ari_recordings",
    "res_ari_sounds",
    "res_stasis_answer",
    "res_stasis_device_state",
    "res_stasis_playback",
    "res_stasis_recording",
    "res_stasis_snoop",
    // Dialplan, channels, bridges.
    "pbx_config",
    "chan_bridge_media",
    "bridge_simple",
    "bridge_softmix",
    "bridge_holding",
    "bridge_native_rtp",
    "app_dial",
    "app_echo",
    "app_playback",
    "app_record",
    "app_read",
    "app_senddtmf",
    "func_logic",
    // Media.
    "res_musiconhold",
    "res_timing_timerfd",
    "format_gsm",
    "format_wav",
    "format_pcm",
    "format_sln",
    "codec_gsm",
    "codec_ulaw",
    "codec_alaw",
    // Object storage used by ARI's configuration and device state resources.
    "res_sorcery_config",
    "res_sorcery_memory",
    "res_sorcery_astdb",
    // Real SIP on loopback (see [`pjsip_conf`]).
    "res_pjproject",
    "res_pjsip",
    "res_pjsip_session",
    "chan_pjsip",
    "res_pjsip_sdp_rtp",
    "res_rtp_asterisk",
    "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_messaging",
    "res_pjsip_pubsub",
    "res_pjsip_refer",
];

/// Further modules loaded when the package ships them (more ARI resources in other builds,
/// external media, outbound WebSockets, the usual dialplan helpers).
const OPTIONAL_MODULES: &[&str] = &[
    "res_mwi_external",
    "res_mwi_devstate",
    "res_ari_mailboxes",
    "res_stasis_mailbox",
    "app_stasis_broadcast",
    // External media and WebSocket channels, outbound ARI WebSockets.
    "chan_rtp",
    "res_rtp_multicast",
    "res_srtp",
    "chan_audiosocket",
    "res_audiosocket",
    "app_audiosocket",
    "chan_websocket",
    "res_websocket_client",
    // Dialplan applications.
    "app_attended_transfer",
    "app_blind_transfer",
    "app_bridgeaddchan",
    "app_bridgewait",
    "app_channelredirect",
    "app_chanspy",
    "app_controlplayback",
    "app_db",
    "app_dumpchan",
    "app_exec",
    "app_if",
    "app_milliwatt",
    "app_mixmonitor",
    "app_originate",
    "app_playtones",
    "app_sayunixtime",
    "app_sendtext",
    "app_softhangup",
    "app_stack",
    "app_stream_echo",
    "app_transfer",
    "app_userevent",
    "app_verbose",
    "app_waituntil",
    "app_while",
    // Dialplan functions.
    "func_base64",
    "func_callerid",
    "func_cdr",
    "func_channel",
    "func_cut",
    "func_db",
    "func_devstate",
    "func_dialplan",
    "func_env",
    "func_evalexten",
    "func_export",
    "func_extstate",
    "func_frame_drop",
    "func_frame_trace",
    "func_global",
    "func_groupcount",
    "func_hangupcause",
    "func_holdintercept",
    "func_jitterbuffer",
    "func_json",
    "func_lock",
    "func_math",
    "func_md5",
    "func_module",
    "func_periodic_hook",
    "func_presencestate",
    "func_rand",
    "func_sayfiles",
    "func_sha1",
    "func_sprintf",
    "func_strings",
    "func_sysinfo",
    "func_talkdetect",
    "func_timeout",
    "func_uri",
    "func_uuid",
    "func_version",
    "func_volume",
    // Object storage and CLI helpers.
    "res_sorcery_memory_cache",
    "res_clioriginate",
    // SIP helpers.
    "res_pjsip_caller_id",
    "res_pjsip_dtmf_info",
    "res_pjsip_header_funcs",
    "res_pjsip_logger",
    "res_pjsip_rfc3326",
    "func_pjsip_endpoint",
    "func_pjsip_aor",
    "func_pjsip_contact",
];

/// Module-name prefixes loaded whole (every such module the package ships), except
/// [`EXCLUDED_MODULES`]: all ARI resources and Stasis parts, bridges, formats and codecs.
const MODULE_PREFIXES: &[&str] = &[
    "res_ari_",
    "res_stasis_",
    "bridge_",
    "format_",
    "codec_",
    "res_format_attr_",
];

/// Never loaded, even when a prefix matches.
const EXCLUDED_MODULES: &[&str] = &["res_stasis_test"];

/// The `modules.conf` for the module files `available` in the root (names without `.so`):
/// `autoload = no` and an explicit list, so startup is fast and nothing listens that the tests
/// do not use. Asterisk does not load dependencies by itself, so the lists above include them.
pub fn modules_conf(available: &BTreeSet<String>) -> String {
    let mut load = BTreeSet::new();
    for name in REQUIRED_MODULES.iter().chain(OPTIONAL_MODULES) {
        if available.contains(*name) {
            load.insert(name.to_string());
        }
    }
    for name in available {
        if MODULE_PREFIXES.iter().any(|p| name.starts_with(p)) {
            load.insert(name.clone());
        }
    }
    for name in EXCLUDED_MODULES {
        load.remove(*name);
    }
    let mut text = String::from(
        "; Written by `cargo xtask asterisk up`: an explicit module list for a fast start.\n\
         [modules]\nautoload = no\n",
    );
    for name in load {
        let _ = writeln!(text, "load = {name}.so");
    }
    text
}

/// `asterisk.conf`: this instance's directories (paths as Asterisk sees them in the root;
/// `module_dir` is where the package put the modules).
pub fn asterisk_conf(instance_dir: &str, module_dir: &str) -> String {
    format!(
        "; Written by `cargo xtask asterisk up`.\n\
         [directories]\n\
         astetcdir => {instance_dir}/etc\n\
         astmoddir => {module_dir}\n\
         astvarlibdir => {instance_dir}/lib\n\
         astdbdir => {instance_dir}/lib\n\
         astkeydir => {instance_dir}/lib\n\
         astdatadir => /usr/share/asterisk\n\
         astagidir => /usr/share/asterisk/agi-bin\n\
         astspooldir => {instance_dir}/spool\n\
         astrundir => {instance_dir}/run\n\
         astlogdir => {instance_dir}/log\n\
         astcachedir => {instance_dir}/cache\n\
         astsbindir => /usr/sbin\n\
         \n\
         [options]\n\
         defaultlanguage = en\n\
         hideconnect = yes\n"
    )
}

/// `http.conf`: the built-in HTTP server, on loopback only.
pub fn http_conf(port: u16) -> String {
    format!(
        "; Written by `cargo xtask asterisk up`.\n\
         [general]\n\
         enabled = yes\n\
         bindaddr = 127.0.0.1\n\
         bindport = {port}\n\
         ; The live suite runs tests in parallel, each with its own keep-alive pool and event\n\
         ; sockets; Asterisk's default of 100 sessions is exhausted (and then refuses work).\n\
         sessionlimit = 1000\n"
    )
}

/// `ari.conf`: ARI on, a full user and a read-only user.
pub fn ari_conf(password: &str, read_only_password: &str) -> String {
    format!(
        "; Written by `cargo xtask asterisk up`.\n\
         [general]\n\
         enabled = yes\n\
         pretty = no\n\
         \n\
         [{ARI_USER}]\n\
         type = user\n\
         read_only = no\n\
         password = {password}\n\
         password_format = plain\n\
         \n\
         [{ARI_READ_ONLY_USER}]\n\
         type = user\n\
         read_only = yes\n\
         password = {read_only_password}\n\
         password_format = plain\n\
         \n\
         ; The live tests of the outbound WebSocket write their `outbound_websocket` sections in\n\
         ; this file (and reload res_ari); `up` writes it empty.\n\
         #tryinclude {OUTBOUND_ARI_CONF}\n"
    )
}

/// The file `ari.conf` includes, for the `outbound_websocket` sections of the live tests.
pub const OUTBOUND_ARI_CONF: &str = "ari-outbound.conf";
/// The file `websocket_client.conf` includes, for the `websocket_client` sections of the live tests.
pub const OUTBOUND_CLIENT_CONF: &str = "websocket_client-outbound.conf";

/// A `websocket_client` section (res_websocket_client) for an outbound WebSocket to `uri` with Basic
/// credentials `user`/`password`; `kind` is `persistent` or `per_call_config`; `extra` adds lines (TLS
/// options, a different `reconnect_interval`).
pub fn websocket_client_section(
    id: &str,
    uri: &str,
    kind: &str,
    user: &str,
    password: &str,
    extra: &str,
) -> String {
    format!(
        "[{id}]\ntype = websocket_client\nconnection_type = {kind}\nuri = {uri}\nprotocols = ari\n\
         username = {user}\npassword = {password}\nconnection_timeout = 2000\nreconnect_attempts = 4\n\
         {extra}\n"
    )
}

/// An `outbound_websocket` section (ari.conf) serving `app` over the `websocket_client` of the same `id`,
/// with the rights of ARI user `ari_user`.
pub fn outbound_websocket_section(id: &str, app: &str, ari_user: &str) -> String {
    format!(
        "[{id}]\ntype = outbound_websocket\nwebsocket_client_id = {id}\napps = {app}\n\
         local_ari_user = {ari_user}\nsubscribe_all = no\n\n"
    )
}

/// `websocket_client.conf`: only the include of the live tests' file.
pub fn websocket_client_conf() -> String {
    format!(
        "; Written by `cargo xtask asterisk up`. The live tests of the outbound WebSocket write\n\
         ; their `websocket_client` sections in this file (and reload res_websocket_client).\n\
         #tryinclude {OUTBOUND_CLIENT_CONF}\n"
    )
}

/// `extensions.conf`: the test dialplan, in context [`CONTEXT`].
pub fn extensions_conf() -> String {
    format!(
        r#"; Written by `cargo xtask asterisk up`: the dialplan the live tests use.
[general]
static = yes
writeprotect = yes

[globals]

[{CONTEXT}]
; Enters the Stasis application named by the channel variable ARI_APP, with the
; comma-separated arguments in ARI_ARGS (variables set on an originated Local channel
; reach both halves).
exten => stasis,1,Stasis(${{ARI_APP}},${{ARI_ARGS}})
 same => n,Hangup()

; Enters the Stasis application named by the extension: stasis-<app>.
exten => _stasis-.,1,Stasis(${{EXTEN:7}})
 same => n,Hangup()

; Answers and waits WAIT_SECONDS (default 120): the far end for Local/wait@{CONTEXT}.
exten => wait,1,Answer()
 same => n,Wait(${{IF($[${{ISNULL(${{WAIT_SECONDS}})}}]?120:${{WAIT_SECONDS}})}})
 same => n,Hangup()

; Answers, plays hello-world, then echoes audio and DTMF back.
exten => echo,1,Answer()
 same => n,Playback(hello-world)
 same => n,Echo()
 same => n,Hangup()

; Answers and sends back every DTMF digit it receives, one at a time.
exten => dtmf,1,Answer()
 same => n(next),Read(DIGIT,,1,,,120)
 same => n,GotoIf($[${{ISNULL(${{DIGIT}})}}]?done)
 same => n,SendDTMF(${{DIGIT}})
 same => n,Goto(next)
 same => n(done),Hangup()

; Rings without answering.
exten => ring,1,Ringing()
 same => n,Wait(120)
 same => n,Hangup()

; Busy and congestion signals.
exten => busy,1,Busy(10)
exten => congestion,1,Congestion(10)

; Offers the channel to the applications whose names match the regular expression in
; ARI_BROADCAST_FILTER (StasisBroadcast, a CallBroadcast event each), waits up to 10 s for one
; to claim it (POST /events/claim), then enters the winner. (Debian's 22.10.1 takes the
; arguments by position: timeout in ms, application filter.)
exten => broadcast,1,StasisBroadcast(10000,${{ARI_BROADCAST_FILTER}})
 same => n,GotoIf($["${{BROADCAST_WINNER}}" = ""]?unclaimed)
 same => n,Stasis(${{BROADCAST_WINNER}})
 same => n(unclaimed),Hangup()
"#
    )
}

/// `logger.conf`: notices, warnings, errors and dialplan steps to `messages.log`.
pub fn logger_conf() -> String {
    "; Written by `cargo xtask asterisk up`.\n\
     [general]\n\
     dateformat = %F %T.%3q\n\
     \n\
     [logfiles]\n\
     messages.log => notice,warning,error,verbose(3)\n"
        .to_owned()
}

/// `musiconhold.conf`: the default class plays the packaged opsound files; `ari-sdk-speech`
/// plays spoken digits, loud and without pauses, for tests that listen for it.
pub fn musiconhold_conf() -> String {
    "; Written by `cargo xtask asterisk up`.\n\
     [general]\n\
     \n\
     [default]\n\
     mode = files\n\
     directory = moh\n\
     \n\
     [ari-sdk-speech]\n\
     mode = files\n\
     directory = /usr/share/asterisk/sounds/en_US_f_Allison/digits\n\
     sort = alpha\n"
        .to_owned()
}

/// `indications.conf`: tones for `tone:` playbacks and ringing (North American set).
pub fn indications_conf() -> String {
    "; Written by `cargo xtask asterisk up`.\n\
     [general]\n\
     country = us\n\
     \n\
     [us]\n\
     description = United States / North America\n\
     ringcadence = 2000,4000\n\
     dial = 350+440\n\
     busy = 480+620/500,0/500\n\
     ring = 440+480/2000,0/4000\n\
     congestion = 480+620/250,0/250\n\
     callwaiting = 440/300,0/9700\n\
     dialrecall = !350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440\n\
     record = 1400/500,0/15000\n\
     info = !950/330,!1400/330,!1800/330,0\n\
     stutter = !350+440/100,!0/100,!350+440/100,!0/100,350+440\n"
        .to_owned()
}

/// `sorcery.conf`: `websocket_client` objects (res_websocket_client) and PJSIP endpoints and
/// AORs are read from their configuration files as usual and may also be created at run time in
/// memory, so ARI's dynamic configuration
/// (`/asterisk/config/dynamic/res_websocket_client/websocket_client/{id}`,
/// `/asterisk/config/dynamic/res_pjsip/endpoint/{id}`, …) can create, read and delete them (the
/// live suite makes SIP endpoints whose contact is a socket of the test's own).
pub fn sorcery_conf() -> String {
    "; Written by `cargo xtask asterisk up`.\n\
     [res_websocket_client]\n\
     websocket_client = config,websocket_client.conf,criteria=type=websocket_client\n\
     websocket_client = memory\n\
     \n\
     [res_pjsip]\n\
     endpoint = config,pjsip.conf,criteria=type=endpoint\n\
     endpoint = memory\n\
     aor = config,pjsip.conf,criteria=type=aor\n\
     aor = memory\n"
        .to_owned()
}

/// The two SIP endpoints of the sandbox: a call to [`SIP_CALLER`] (`PJSIP/<exten>@bob`) leaves
/// on one UDP transport and arrives on the other as a call from [`SIP_CALLEE`] (`PJSIP/alice-…`)
/// to `<exten>` in [`CONTEXT`].
pub const SIP_CALLER: &str = "bob";
/// See [`SIP_CALLER`].
pub const SIP_CALLEE: &str = "alice";

/// The UDP ports of the two SIP transports (free ports on 127.0.0.1, chosen by `up`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipPorts {
    /// Transport `a`: what `bob` uses; `alice`'s contact points here.
    pub a: u16,
    /// Transport `b`: what `alice` uses; `bob`'s contact points here.
    pub b: u16,
}

/// `pjsip.conf`: real SIP on loopback. Two UDP transports on 127.0.0.1; endpoint `bob` sends
/// from transport `a` to a contact on transport `b`, where the request is identified by its
/// source address as coming from endpoint `alice` (and the other way round). So
/// `POST /channels?endpoint=PJSIP/stasis-<app>@bob` is a real SIP call with RTP whose far end
/// arrives as `PJSIP/alice-…` in extension `stasis-<app>`; a MESSAGE to `bob` arrives as a
/// message from `alice`. RTP binds to 127.0.0.1 too (`bind_rtp_to_media_address`).
pub fn pjsip_conf(ports: SipPorts) -> String {
    let SipPorts { a, b } = ports;
    // One endpoint on `transport` whose requests go to (and are identified as coming from) the
    // other transport's port `far`.
    let peer = |name: &str, transport: &str, far: u16| {
        format!(
            "[{name}]\n\
             type = endpoint\n\
             transport = {transport}\n\
             context = {CONTEXT}\n\
             message_context = {CONTEXT}\n\
             aors = {name}\n\
             disallow = all\n\
             allow = ulaw\n\
             direct_media = no\n\
             media_address = 127.0.0.1\n\
             bind_rtp_to_media_address = yes\n\
             rtp_timeout = 0\n\
             \n\
             [{name}]\n\
             type = aor\n\
             contact = sip:{name}@127.0.0.1:{far}\n\
             \n\
             [{name}]\n\
             type = identify\n\
             endpoint = {name}\n\
             match = 127.0.0.1:{far}\n"
        )
    };
    format!(
        "; Written by `cargo xtask asterisk up`: two SIP endpoints that call each other over \
         127.0.0.1.\n\
         [global]\n\
         type = global\n\
         user_agent = ari-sdk-sandbox\n\
         \n\
         [transport-a]\n\
         type = transport\n\
         protocol = udp\n\
         bind = 127.0.0.1:{a}\n\
         \n\
         [transport-b]\n\
         type = transport\n\
         protocol = udp\n\
         bind = 127.0.0.1:{b}\n\
         \n\
         {bob}\
         \n\
         {alice}",
        bob = peer(SIP_CALLER, "transport-a", b),
        alice = peer(SIP_CALLEE, "transport-b", a),
    )
}

/// `rtp.conf`: RTP ports for the SIP calls (bound to 127.0.0.1 by the endpoints).
pub fn rtp_conf() -> String {
    "; Written by `cargo xtask asterisk up`.\n[general]\nrtpstart = 20000\nrtpend = 40000\n"
        .to_owned()
}

/// `cdr.conf` / `cel.conf`: call records off (nothing records them here).
pub fn records_off_conf() -> String {
    "; Written by `cargo xtask asterisk up`.\n[general]\nenable = no\n".to_owned()
}

/// Files that only need to exist (defaults are right), so Asterisk does not log an error
/// for each missing one.
const DEFAULTS_ONLY: &[&str] = &[
    "acl.conf",
    "ccss.conf",
    "chan_websocket.conf",
    "features.conf",
    "pjproject.conf",
    "udptl.conf",
    OUTBOUND_ARI_CONF,
    OUTBOUND_CLIENT_CONF,
];

/// Every configuration file of one instance: `(file name, contents)`.
pub fn all_files(
    instance_dir: &str,
    module_dir: &str,
    port: u16,
    sip_ports: SipPorts,
    password: &str,
    read_only_password: &str,
    available_modules: &BTreeSet<String>,
) -> Vec<(&'static str, String)> {
    let mut files = vec![
        ("asterisk.conf", asterisk_conf(instance_dir, module_dir)),
        ("modules.conf", modules_conf(available_modules)),
        ("http.conf", http_conf(port)),
        ("ari.conf", ari_conf(password, read_only_password)),
        ("extensions.conf", extensions_conf()),
        ("logger.conf", logger_conf()),
        ("musiconhold.conf", musiconhold_conf()),
        ("indications.conf", indications_conf()),
        ("sorcery.conf", sorcery_conf()),
        ("pjsip.conf", pjsip_conf(sip_ports)),
        ("rtp.conf", rtp_conf()),
        ("cdr.conf", records_off_conf()),
        ("cel.conf", records_off_conf()),
        ("websocket_client.conf", websocket_client_conf()),
    ];
    for name in DEFAULTS_ONLY {
        files.push((
            name,
            "; Written by `cargo xtask asterisk up`: Asterisk's defaults.\n".to_owned(),
        ));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_list_is_explicit_and_filtered() {
        let available: BTreeSet<String> = [
            "res_ari",
            "res_ari_channels",
            "res_stasis_test",
            "format_gsm",
            "chan_pjsip",
            "chan_iax2",
            "app_stasis",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let text = modules_conf(&available);
        assert!(text.contains("autoload = no\n"));
        assert!(text.contains("load = res_ari.so\n"));
        assert!(text.contains("load = res_ari_channels.so\n"));
        assert!(text.contains("load = format_gsm.so\n"));
        assert!(text.contains("load = app_stasis.so\n"));
        assert!(!text.contains("res_stasis_test"));
        assert!(text.contains("load = chan_pjsip.so\n"));
        assert!(!text.contains("chan_iax2"));
        // Nothing that is not shipped is named.
        assert!(!text.contains("res_mwi_external"));
    }

    #[test]
    fn dialplan_escapes_survive_format() {
        let text = extensions_conf();
        assert!(text.contains("exten => stasis,1,Stasis(${ARI_APP},${ARI_ARGS})"));
        assert!(text.contains("exten => _stasis-.,1,Stasis(${EXTEN:7})"));
        assert!(text.contains("Wait(${IF($[${ISNULL(${WAIT_SECONDS})}]?120:${WAIT_SECONDS})})"));
        assert!(text.contains("[ari-sdk]"));
        assert!(
            text.contains("exten => broadcast,1,StasisBroadcast(10000,${ARI_BROADCAST_FILTER})")
        );
        assert!(text.contains(" same => n,GotoIf($[\"${BROADCAST_WINNER}\" = \"\"]?unclaimed)"));
    }

    #[test]
    fn sip_transports_and_rtp_bind_loopback_and_point_at_each_other() {
        let text = pjsip_conf(SipPorts { a: 5001, b: 5002 });
        assert!(text
            .contains("[transport-a]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:5001\n"));
        assert!(text
            .contains("[transport-b]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:5002\n"));
        // bob sends to transport b, where the source (transport a) identifies alice.
        assert!(text.contains("[bob]\ntype = aor\ncontact = sip:bob@127.0.0.1:5002\n"));
        assert!(
            text.contains("[alice]\ntype = identify\nendpoint = alice\nmatch = 127.0.0.1:5001\n")
        );
        assert_eq!(text.matches("bind_rtp_to_media_address = yes\n").count(), 2);
        assert_eq!(text.matches("media_address = 127.0.0.1\n").count(), 2);
        assert!(!text.contains("0.0.0.0"));
    }

    #[test]
    fn http_binds_loopback() {
        assert!(http_conf(4242).contains("bindaddr = 127.0.0.1\nbindport = 4242\n"));
    }
}
