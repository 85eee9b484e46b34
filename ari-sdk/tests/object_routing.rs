//! The typed [`Event`] and the untyped [`RawEvent`] route every recorded message to the same objects: both
//! follow the one object table the generator emits from the specs.

mod corpus;

use ari_sdk::events::{EventPayload, RawEvent};
use ari_sdk::Event;

#[test]
fn typed_and_raw_routing_agree_on_every_corpus_line() {
    let lines = corpus::lines();
    assert!(lines.len() > 271, "{} lines", lines.len());
    let mut with_objects = 0;
    let mut nested = 0;
    for line in &lines {
        let typed = <Event as EventPayload>::decode(&line.text)
            .unwrap_or_else(|e| panic!("{}: {e}", line.place));
        let raw = RawEvent::decode(&line.text).unwrap_or_else(|e| panic!("{}: {e}", line.place));
        assert_eq!(
            EventPayload::type_name(&typed),
            raw.type_name(),
            "{}",
            line.place
        );
        let objects = corpus::objects(&typed);
        assert_eq!(
            objects,
            corpus::objects(&raw),
            "{}: {}",
            line.place,
            line.text
        );
        if !objects.is_empty() {
            with_objects += 1;
        }
        if typed.type_name() == "ChannelTransfer" {
            nested += 1;
            assert!(
                !objects.is_empty(),
                "{}: a transfer routes by refer_to/referred_by",
                line.place
            );
        }
    }
    assert!(with_objects > 200, "{with_objects}");
    // The recorded REFER (22.10.1) carries its channels only nested in `refer_to`/`referred_by`.
    assert!(nested > 0, "no ChannelTransfer in the corpora");
}
