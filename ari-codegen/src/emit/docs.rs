//! Spec prose → rustdoc: escaping and availability notes.
//!
//! Spec descriptions are plain prose written for Swagger UI. Rendered as
//! Markdown by rustdoc they trip several lints (`broken_intra_doc_links` on
//! `[brackets]`, `invalid_html_tags` on `<placeholders>`, `bare_urls`) and an
//! indented line would even become a doctest. [`escape`] neutralises all of
//! that while keeping the text readable in the source.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Version, VersionSet};

/// Escapes spec prose so rustdoc renders it literally and warns about nothing.
///
/// - each line is trimmed (leading indentation would start a code block, i.e. a doctest);
/// - Markdown punctuation that changes meaning is backslash-escaped: `\ [ ] * ~` and
///   unpaired backticks (a balanced `` `code` `` span is kept as code), `#` at the start of a line (intraword `_` is left alone: it never
///   starts emphasis, and `x86_64` stays readable);
/// - `<`, `>` and `&` become HTML entities (no stray tags);
/// - `http://` and `https://` URLs are wrapped in `<…>` so they are autolinks, not bare URLs.
pub fn escape(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(|l| escape_line(l.trim())).collect();
    // Collapse runs of blank lines and drop leading/trailing ones.
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        if line.is_empty() && out.last().is_none_or(|l: &String| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(url_len) = url_at(rest) {
            out.push('<');
            out.push_str(&rest[..url_len]);
            out.push('>');
            rest = &rest[url_len..];
            continue;
        }
        // A balanced code span stays one: copied as it is (nothing inside a span needs escaping).
        if let Some(span_len) = rest
            .strip_prefix('`')
            .and_then(|after| after.find('`'))
            .filter(|&len| len > 0)
        {
            out.push_str(&rest[..span_len + 2]);
            rest = &rest[span_len + 2..];
            continue;
        }
        let c = rest.chars().next().expect("rest is not empty");
        match c {
            '\\' | '[' | ']' | '*' | '`' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '#' if out.is_empty() => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    // A line that starts with a list marker followed by a digit run and `.`/`)`
    // would become an ordered list; harmless. A leading `-`/`+` list is harmless too.
    out
}

/// If `s` starts with an http(s) URL, its length (trailing punctuation excluded).
fn url_at(s: &str) -> Option<usize> {
    if !(s.starts_with("http://") || s.starts_with("https://")) {
        return None;
    }
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
        .unwrap_or(s.len());
    let url = s[..end].trim_end_matches(['.', ',', ';', ':', ')', ']', '!', '?']);
    Some(url.len())
}

/// `22.10.1`.
pub fn version_string(v: &Version) -> String {
    v.parts
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// `16.30.1, 18.26.4, …`.
pub fn version_list<'a>(versions: impl IntoIterator<Item = &'a Version>) -> String {
    versions
        .into_iter()
        .map(version_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "Available in: …" when `item` does not cover every version of `context`.
pub fn availability(item: &VersionSet, context: &VersionSet) -> Option<String> {
    if context.0.is_subset(&item.0) {
        None
    } else {
        Some(format!("Available in: {}.", version_list(&item.0)))
    }
}

/// Builds `#[doc = "…"]` attributes, one per line, from already-escaped
/// paragraphs (empty paragraphs are skipped; paragraphs are separated by a
/// blank doc line).
pub fn doc_attrs<I, S>(paragraphs: I) -> TokenStream
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut lines: Vec<String> = Vec::new();
    for p in paragraphs {
        let p = p.as_ref();
        if p.trim().is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(p.lines().map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!(" {l}")
            }
        }));
    }
    quote! { #( #[doc = #lines] )* }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_html_and_urls() {
        assert_eq!(
            escape("  See [docs] at https://wiki.asterisk.org/x.html.\n\n\n  <channel> & `x` *y* a_b #1"),
            "See \\[docs\\] at <https://wiki.asterisk.org/x.html>.\n\n&lt;channel&gt; &amp; `x` \\*y\\* a_b #1"
        );
        // A balanced code span is kept, contents untouched; an unpaired backtick is escaped.
        assert_eq!(escape("`a<b>[c]` and ` alone"), "`a<b>[c]` and \\` alone");
    }

    #[test]
    fn headings_are_escaped_only_at_line_start() {
        assert_eq!(escape("# not a heading #2"), "\\# not a heading #2");
    }

    #[test]
    fn indentation_never_becomes_a_code_block() {
        assert_eq!(escape("a\n        let x = 1;\n"), "a\nlet x = 1;");
    }

    #[test]
    fn availability_only_when_partial() {
        let v = |s: &[u32]| Version { parts: s.to_vec() };
        let all = VersionSet([v(&[16, 30, 1]), v(&[22, 10, 1])].into_iter().collect());
        let some = VersionSet([v(&[22, 10, 1])].into_iter().collect());
        assert_eq!(availability(&all, &all), None);
        assert_eq!(
            availability(&some, &all).as_deref(),
            Some("Available in: 22.10.1.")
        );
    }
}
