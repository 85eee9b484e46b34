//! [`VariableValue`]: a channel or bridge variable's value as the `variables` body of the
//! operations that set variables takes it.

use serde::Serialize;

/// The value of one entry of a `variables` body (originate, create, `setChannelVars`,
/// `setBridgeVars`, `externalMedia`, bridge create): a plain string, or — on the Asterisk
/// versions whose specs document it (20.20.1, 22.10.1, 23.4.1) — an object with the value and
/// `report_events`, which asks Asterisk to include updates of that variable in the channel's
/// (or bridge's) events.
///
/// A `&str` or `String` converts into [`VariableValue::Plain`], so `[("NAME", "value")]`
/// works as before; [`VariableValue::reported`] makes the object form:
///
/// ```
/// use ari_sdk::VariableValue;
///
/// let body = serde_json::to_value([
///     ("CALLERID(name)", VariableValue::from("Alice")),
///     ("Call_State", VariableValue::reported("WaitingForAgent")),
/// ]
/// .into_iter()
/// .collect::<std::collections::BTreeMap<_, _>>())
/// .unwrap();
/// assert_eq!(
///     body,
///     serde_json::json!({
///         "CALLERID(name)": "Alice",
///         "Call_State": {"value": "WaitingForAgent", "report_events": true}
///     })
/// );
/// ```
///
/// Asterisk versions without the object form answer it with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum VariableValue {
    /// The value alone, sent as a JSON string.
    Plain(String),
    /// The value and whether Asterisk reports its updates in events, sent as
    /// `{"value": ..., "report_events": ...}`.
    Reported {
        /// The variable's value.
        value: String,
        /// Whether updates of the variable are included in events.
        report_events: bool,
    },
}

impl VariableValue {
    /// `value`, with its updates reported in events (`report_events: true`).
    pub fn reported(value: impl Into<String>) -> Self {
        VariableValue::Reported {
            value: value.into(),
            report_events: true,
        }
    }

    /// The variable's value, whichever the form.
    pub fn value(&self) -> &str {
        match self {
            VariableValue::Plain(value) | VariableValue::Reported { value, .. } => value,
        }
    }
}

impl From<String> for VariableValue {
    fn from(value: String) -> Self {
        VariableValue::Plain(value)
    }
}

impl From<&str> for VariableValue {
    fn from(value: &str) -> Self {
        VariableValue::Plain(value.to_owned())
    }
}

impl From<&String> for VariableValue {
    fn from(value: &String) -> Self {
        VariableValue::Plain(value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::VariableValue;

    #[test]
    fn both_forms_serialise_as_asterisk_reads_them() {
        let plain = serde_json::to_value(VariableValue::from("a b")).unwrap();
        assert_eq!(plain, serde_json::json!("a b"));
        let quiet = VariableValue::Reported {
            value: "x".into(),
            report_events: false,
        };
        assert_eq!(
            serde_json::to_value(&quiet).unwrap(),
            serde_json::json!({"value": "x", "report_events": false})
        );
        assert_eq!(quiet.value(), "x");
        assert_eq!(VariableValue::reported("y").value(), "y");
    }
}
