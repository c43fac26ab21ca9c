//! A small JSON parser that records line and column for every value and key
//! (serde_json does not expose positions).
//!
//! Columns are counted incrementally from the last position asked for, so position tracking
//! is linear in the input even when the whole template is one line.

use std::cell::Cell;

use super::error::ParseError;
use super::meter::{len64, DocMeter};
use crate::node::{Entry, Node, Pos, Value};

pub(super) fn parse<'a>(text: &'a str, meter: &mut DocMeter<'a>) -> Result<Node, ParseError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        i: 0,
        line: 1,
        line_start: 0,
        col_at: Cell::new(0),
        col: Cell::new(0),
        meter,
    };
    p.ws();
    let node = p.value(0)?;
    p.ws();
    if p.i < p.src.len() {
        return Err(p.err("unexpected content after the JSON document"));
    }
    Ok(node)
}

struct Parser<'a, 'm> {
    src: &'a [u8],
    text: &'a str,
    i: usize,
    line: usize,
    line_start: usize,
    /// Byte offset up to which `col` characters of the current line have been counted.
    col_at: Cell<usize>,
    col: Cell<usize>,
    meter: &'m mut DocMeter<'a>,
}

impl Parser<'_, '_> {
    fn pos(&self) -> Pos {
        // Columns count characters, not bytes, so editors agree with us. Only the bytes since
        // the last position are counted (UTF-8 continuation bytes are not characters).
        let (mut at, mut col) = (self.col_at.get(), self.col.get());
        if at < self.line_start || at > self.i {
            at = self.line_start;
            col = 0;
        }
        col += self
            .src
            .get(at..self.i)
            .unwrap_or_default()
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80)
            .count();
        self.col_at.set(self.i);
        self.col.set(col);
        Pos::new(self.line, col + 1)
    }

    fn err(&self, message: &str) -> ParseError {
        let p = self.pos();
        ParseError {
            file: self.meter.file.to_string(),
            line: p.line,
            col: p.col,
            message: format!("invalid JSON: {message}"),
            exceeded: None,
        }
    }

    fn ws(&mut self) {
        while let Some(&c) = self.src.get(self.i) {
            match c {
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                }
                b' ' | b'\t' | b'\r' => self.i += 1,
                _ => break,
            }
        }
    }

    /// A value nested in `depth` containers.
    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        let pos = self.pos();
        self.meter.depth(depth + 1, pos, "nesting")?;
        self.meter.add(1, 0, pos, "the document has")?;
        match self.src.get(self.i) {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => {
                self.i += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.src.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Node::new(Value::Map(entries), pos));
                }
                loop {
                    self.ws();
                    if self.src.get(self.i) != Some(&b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let key_pos = self.pos();
                    let key = self.string()?;
                    self.meter
                        .add(1, len64(&key), key_pos, "the document has")?;
                    self.ws();
                    if self.src.get(self.i) != Some(&b':') {
                        return Err(self.err("expected ':' after key"));
                    }
                    self.i += 1;
                    self.ws();
                    let value = self.value(depth + 1)?;
                    entries.push(Entry {
                        key,
                        key_pos,
                        value,
                    });
                    self.ws();
                    match self.src.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Node::new(Value::Map(entries), pos));
                        }
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.src.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Node::new(Value::Seq(items), pos));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.src.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Node::new(Value::Seq(items), pos));
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            Some(b'"') => {
                let s = self.string()?;
                self.meter.add(0, len64(&s), pos, "the document has")?;
                Ok(Node::new(Value::Str(s), pos))
            }
            Some(b't') => self.literal("true", Value::Bool(true), pos),
            Some(b'f') => self.literal("false", Value::Bool(false), pos),
            Some(b'n') => self.literal("null", Value::Null, pos),
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while let Some(c) = self.src.get(self.i) {
                    if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                let raw = self.text.get(start..self.i).unwrap_or_default();
                if raw.parse::<f64>().is_err() {
                    self.i = start;
                    return Err(self.err("malformed number"));
                }
                self.meter.add(0, len64(raw), pos, "the document has")?;
                Ok(Node::new(Value::Num(raw.to_string()), pos))
            }
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn literal(&mut self, word: &str, v: Value, pos: Pos) -> Result<Node, ParseError> {
        if self
            .src
            .get(self.i..)
            .unwrap_or_default()
            .starts_with(word.as_bytes())
        {
            self.i += word.len();
            Ok(Node::new(v, pos))
        } else {
            Err(self.err("unexpected literal"))
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self
            .text
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("truncated \\u escape"))?;
        let v = u32::from_str_radix(digits, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    /// Parses a string starting at the opening quote.
    fn string(&mut self) -> Result<String, ParseError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&c) = self.src.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(self.text.get(start..self.i).unwrap_or_default());
            match self.src.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let esc = *self
                        .src
                        .get(self.i)
                        .ok_or_else(|| self.err("unterminated string"))?;
                    self.i += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi)
                                && self
                                    .src
                                    .get(self.i..)
                                    .unwrap_or_default()
                                    .starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }
}
