//! The names and versions of IR items, projected for comparison against a literal list.

use ari_codegen::ir::{EnumValue, Field, Model, Operation, Param, Resource, VersionSet};

/// An IR item with a wire name, a Rust name and the versions that have it.
pub trait Named {
    /// The name in the specs (an operation's nickname).
    fn wire(&self) -> &str;
    /// The generated Rust name.
    fn rust(&self) -> &str;
    /// The versions that have it.
    fn versions(&self) -> &VersionSet;
}

macro_rules! named {
    ($($ty:ty => $wire:ident),* $(,)?) => {$(
        impl Named for $ty {
            fn wire(&self) -> &str {
                &self.$wire
            }
            fn rust(&self) -> &str {
                &self.rust_name
            }
            fn versions(&self) -> &VersionSet {
                &self.versions
            }
        }
    )*};
}

named!(
    Resource => wire_name,
    Operation => nickname,
    Param => wire_name,
    Model => wire_name,
    Field => wire_name,
    EnumValue => wire,
);

/// `(wire name, Rust name)` of each item, in order.
pub fn wire_rust<'a, T: Named + 'a>(
    items: impl IntoIterator<Item = &'a T>,
) -> Vec<(&'a str, &'a str)> {
    items.into_iter().map(|i| (i.wire(), i.rust())).collect()
}

/// `(wire name, versions)` of each item, in order.
pub fn wire_versions<'a, T: Named + 'a>(
    items: impl IntoIterator<Item = &'a T>,
) -> Vec<(&'a str, VersionSet)> {
    items
        .into_iter()
        .map(|i| (i.wire(), i.versions().clone()))
        .collect()
}
