//! A streaming reader of XML tags for SUMO's outputs. FCD files grow by megabytes per
//! simulated minute, so they are read tag by tag from a `BufRead` instead of into a DOM.
//! It knows exactly what SUMO writes: elements with quoted attributes, comments, the XML
//! declaration; no DTDs or CDATA (refused, not misread).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Opens a SUMO file, gzip-compressed or not: SUMO reads `.gz` wherever it reads XML. The
/// content decides (the gzip magic bytes), not the name.
pub fn open(path: &Path) -> std::io::Result<Box<dyn BufRead>> {
    let mut file = BufReader::new(std::fs::File::open(path)?);
    if file.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::new(
            flate2::bufread::MultiGzDecoder::new(file),
        )))
    } else {
        Ok(Box::new(file))
    }
}

/// A whole SUMO file as text (see [`open`]).
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    open(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// One tag: `<name a="1">` (an opening or empty element), or `</name>` (a closing one).
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub name: String,
    pub closing: bool,
    /// `<name .../>`: opens and closes at once.
    pub empty: bool,
    pub attrs: Vec<(String, String)>,
    /// The line the tag starts on (1-based).
    pub line: usize,
}

impl Tag {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Where the XML went wrong and why.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlFault {
    pub line: usize,
    pub reason: String,
}

/// Reads tags one by one.
pub struct Tags<R> {
    reader: R,
    line: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> Tags<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            line: 1,
            buf: Vec::new(),
        }
    }

    fn fault(&self, line: usize, reason: impl Into<String>) -> XmlFault {
        XmlFault {
            line,
            reason: reason.into(),
        }
    }

    /// Reads up to and including `delim`; false at the end of the input.
    fn read_until(&mut self, delim: u8) -> Result<bool, XmlFault> {
        self.buf.clear();
        let n = self
            .reader
            .read_until(delim, &mut self.buf)
            .map_err(|e| self.fault(self.line, format!("read failed: {e}")))?;
        self.line += self.buf.iter().filter(|&&b| b == b'\n').count();
        Ok(n > 0 && self.buf.last() == Some(&delim))
    }

    /// The next element tag, skipping text, comments and declarations; `None` at the end.
    pub fn next_tag(&mut self) -> Result<Option<Tag>, XmlFault> {
        loop {
            if !self.read_until(b'<')? {
                return if self.buf.iter().all(u8::is_ascii_whitespace) {
                    Ok(None)
                } else {
                    Err(self.fault(self.line, "text after the last tag"))
                };
            }
            let start = self.line;
            // Read the tag body up to a '>' outside quotes.
            let mut body: Vec<u8> = Vec::new();
            let mut quote: Option<u8> = None;
            loop {
                if !self.read_until(b'>')? {
                    return Err(self.fault(start, "the file ends inside a tag (truncated?)"));
                }
                for &b in &self.buf {
                    match quote {
                        Some(q) if b == q => quote = None,
                        None if b == b'"' || b == b'\'' => quote = Some(b),
                        _ => {}
                    }
                }
                body.extend_from_slice(&self.buf);
                if body.starts_with(b"!--") {
                    if body.ends_with(b"-->") && body.len() >= 5 {
                        break;
                    }
                    continue;
                }
                if quote.is_none() {
                    break;
                }
            }
            body.pop(); // '>'
            if body.starts_with(b"!--") || body.starts_with(b"?") {
                continue;
            }
            if body.starts_with(b"!") {
                return Err(self.fault(start, "DTDs and CDATA are not expected in SUMO output"));
            }
            let text = std::str::from_utf8(&body)
                .map_err(|_| self.fault(start, "the tag is not UTF-8"))?;
            return parse_tag(text, start).map(Some);
        }
    }
}

fn parse_tag(text: &str, line: usize) -> Result<Tag, XmlFault> {
    let fault = |reason: String| XmlFault { line, reason };
    let (closing, rest) = match text.strip_prefix('/') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (empty, rest) = match rest.trim_end().strip_suffix('/') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.trim_start();
    let name_end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    let name = &rest[..name_end];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || "_-:.".contains(c))
    {
        return Err(fault(format!("{:?} is not an element name", name)));
    }
    let mut attrs = Vec::new();
    let mut s = rest[name_end..].trim_start();
    while !s.is_empty() {
        let eq = s
            .find('=')
            .ok_or_else(|| fault(format!("<{name}>: attribute without a value near {s:?}")))?;
        let key = s[..eq].trim();
        let after = s[eq + 1..].trim_start();
        let q = after
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(|| fault(format!("<{name}>: attribute {key:?} is not quoted")))?;
        let close = after[1..]
            .find(q)
            .ok_or_else(|| fault(format!("<{name}>: attribute {key:?} is not closed")))?;
        let value = unescape(&after[1..1 + close])
            .ok_or_else(|| fault(format!("<{name}>: attribute {key:?} has a bad entity")))?;
        attrs.push((key.to_string(), value));
        s = after[close + 2..].trim_start();
    }
    Ok(Tag {
        name: name.to_string(),
        closing,
        empty,
        attrs,
        line,
    })
}

/// Replaces the five predefined entities and numeric character references.
fn unescape(s: &str) -> Option<String> {
    if !s.contains('&') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';')? + i;
        let ent = &rest[i + 1..end];
        let c = match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = if let Some(h) = ent.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()?
                } else {
                    ent.strip_prefix('#')?.parse().ok()?
                };
                char::from_u32(n)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Result<Vec<Tag>, XmlFault> {
        let mut t = Tags::new(text.as_bytes());
        let mut v = Vec::new();
        while let Some(tag) = t.next_tag()? {
            v.push(tag);
        }
        Ok(v)
    }

    #[test]
    fn reads_tags_skipping_comments_with_tags_inside() {
        let v = all(
            "<?xml version=\"1.0\"?>\n<!-- <config>\n <a value=\"x\"/> -->\n<r>\n  <v id=\"a&amp;b\" x='1.5'/>\n</r>\n",
        )
        .expect("reads");
        let names: Vec<_> = v
            .iter()
            .map(|t| (t.name.as_str(), t.closing, t.empty))
            .collect();
        assert_eq!(
            names,
            [("r", false, false), ("v", false, true), ("r", true, false)]
        );
        assert_eq!(v[1].attr("id"), Some("a&b"));
        assert_eq!(v[1].attr("x"), Some("1.5"));
        assert_eq!(v[1].line, 5);
    }

    #[test]
    fn a_truncated_tag_or_bad_attribute_is_a_fault_with_its_line() {
        let e = all("<r>\n<v id=\"a\" x=\"1").expect_err("truncated");
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("truncated"), "{}", e.reason);
        let e = all("<r>\n\n<v id=a/>").expect_err("unquoted");
        assert_eq!(e.line, 3);
        assert!(e.reason.contains("not quoted"), "{}", e.reason);
    }

    #[test]
    fn gzip_compressed_files_read_as_their_text() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("roadsight-xml-gz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "<net>\n<edge id=\"e\"/>\n</net>\n";
        let plain = dir.join("a.net.xml");
        std::fs::write(&plain, text).unwrap();
        // Named without .gz: the content decides.
        let gz = dir.join("b.net.xml");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        let bytes = enc.finish().unwrap();
        std::fs::write(&gz, &bytes).unwrap();
        assert_eq!(read_to_string(&plain).unwrap(), text);
        assert_eq!(read_to_string(&gz).unwrap(), text);
        let tags = Tags::new(open(&gz).unwrap()).next_tag().unwrap().unwrap();
        assert_eq!(tags.name, "net");
        // A truncated archive is an error, not a short text.
        std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
        assert!(read_to_string(&gz).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
