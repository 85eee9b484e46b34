//! Support code for `src/generated/`: not part of the public API.
//!
//! The generated code stays data-driven (one match arm per type or value); the
//! generic machinery it shares — the fast `type` dispatch of
//! [`crate::Event`], the visitor of the open enums, and the transport seam its
//! operations send through ([`Exchange`] and the `send_*` functions, see
//! `src/transport.rs`) — lives here, written and tested once.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

pub use crate::transport::{
    send_binary, send_json, send_stream, send_void, BodyChunks, Exchange, RawResponse,
    ResponseBody, ResponseKind,
};

/// Deserialises an open enum from a string: known values to their variants,
/// anything else into the fallback variant (through `From<&str>`/`From<String>`).
pub struct OpenEnumVisitor<T> {
    expecting: &'static str,
    marker: PhantomData<fn() -> T>,
}

impl<T> OpenEnumVisitor<T> {
    /// A visitor whose error message says it expected `expecting`.
    pub const fn new(expecting: &'static str) -> Self {
        Self {
            expecting,
            marker: PhantomData,
        }
    }
}

impl<T> Visitor<'_> for OpenEnumVisitor<T>
where
    T: for<'a> From<&'a str> + From<String>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::from(v))
    }
}

/// A message type dispatched on its `type` key (implemented by the generated `Event`).
pub trait Tagged<'de>: Sized {
    /// What the visitor expects, for error messages.
    const EXPECTING: &'static str;

    /// Decodes the message whose `type` is `type_name` from the rest of its map
    /// (the `type` entry already consumed). Returns the map untouched in `Err`
    /// when the type is unknown.
    fn decode<A: MapAccess<'de>>(type_name: &str, map: A) -> Result<Result<Self, A>, A::Error>;

    /// The fallback for an unknown `type`, with the whole message.
    fn unknown(type_name: String, raw: Map<String, Value>) -> Self;
}

/// Deserialises a [`Tagged`] message from a JSON-object-shaped input.
///
/// Reads keys until it meets `type` (buffering the few entries before it, as
/// `serde_json::Value`s), reads the type name (borrowed when the input allows),
/// then hands the rest of the map — buffered entries first — straight to the
/// variant's own `Deserialize`. Nothing is decoded twice; when `type` comes
/// first, as Asterisk sends it, nothing is buffered at all.
pub fn deserialize_tagged<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: Tagged<'de>,
    D: de::Deserializer<'de>,
{
    deserializer.deserialize_map(TaggedVisitor(PhantomData))
}

struct TaggedVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Tagged<'de>> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut prefix: Vec<(String, Value)> = Vec::new();
        let type_name: Cow<'de, str> = loop {
            match map.next_key_seed(KeySeed)? {
                None => return Err(de::Error::missing_field("type")),
                Some(Key::Type) => break map.next_value_seed(CowStrSeed)?,
                Some(Key::Other(key)) => {
                    let value: Value = map.next_value()?;
                    prefix.push((key, value));
                }
            }
        };
        let rest = Prefixed {
            prefix: prefix.into_iter(),
            value: None,
            rest: map,
        };
        match T::decode(&type_name, rest)? {
            Ok(message) => Ok(message),
            Err(rest) => {
                let mut raw = Map::new();
                raw.extend(rest.prefix);
                raw.insert(
                    "type".to_owned(),
                    Value::String(type_name.clone().into_owned()),
                );
                let mut map = rest.rest;
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    // The first `type` is the message's type, as for a known type (whose struct
                    // ignores a repeated `type` key): a later one is dropped, so the raw JSON, the
                    // type name and what re-encoding writes agree.
                    if key != "type" {
                        raw.insert(key, value);
                    }
                }
                Ok(T::unknown(type_name.into_owned(), raw))
            }
        }
    }
}

/// A key of the top-level map: `type`, or another key kept for buffering.
enum Key {
    Type,
    Other(String),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(if v == "type" {
            Key::Type
        } else {
            Key::Other(v.to_owned())
        })
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
        Ok(if v == "type" {
            Key::Type
        } else {
            Key::Other(v)
        })
    }
}

/// Reads a string, borrowing it from the input when possible.
struct CowStrSeed;

impl<'de> DeserializeSeed<'de> for CowStrSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for CowStrSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the message type as a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A map whose first entries were already read (and buffered), followed by
/// the rest of the original map.
struct Prefixed<A> {
    prefix: std::vec::IntoIter<(String, Value)>,
    /// The value of the buffered key last returned, if not yet taken.
    value: Option<Value>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Prefixed<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.prefix.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(key.into_deserializer()).map(Some)
            }
            None => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value).map_err(de::Error::custom),
            None => self.rest.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.rest.size_hint().map(|n| n + self.prefix.len())
    }
}
