//! Any bytes as a spec file (`resources.json` or an api-docs file): the parser returns a value or an error
//! naming the file, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut warnings = Vec::new();
    if let Err(e) = ari_codegen::spec::parse_listing("resources.json", text, &mut warnings) {
        assert!(e.to_string().contains("resources.json"), "{e}");
    }
    if let Err(e) = ari_codegen::spec::parse_declaration("channels.json", text, &mut warnings) {
        assert!(e.to_string().contains("channels.json"), "{e}");
    }
});
