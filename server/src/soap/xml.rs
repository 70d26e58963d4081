//! A bounded reader for SOAP requests: the body becomes a small tree of namespaced elements,
//! or an error that says what was wrong and where (line). No DTD is read at all (so no
//! external entities and no entity expansion: XXE and "billion laughs" have nothing to work
//! with); only XML's five predefined entities and character references are resolved. Depth,
//! element count and text length are bounded before anything is kept.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// Nesting deeper than any Ferry operation needs (Envelope/Body/Op/list/item is 5).
pub const MAX_DEPTH: usize = 16;
/// Elements in one request: a 50,000-number batch and its fields, with room to spare; a larger
/// list is refused by the batch rules with its own message, not here.
pub const MAX_ELEMENTS: usize = 120_000;
/// Bytes of text in one element (counted in bytes so that text arriving in many pieces stays
/// linear): far more than the longest SMS text (§4) in any script.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// One element: its namespace, local name, text (concatenated) and child elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub namespace: Option<String>,
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
    /// `xsi:nil="true"`: present but without a value (some toolkits send optional fields so).
    pub nil: bool,
    /// `soap:mustUnderstand="1"` (on a SOAP header entry).
    pub must_understand: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("the request is not UTF-8 encoded XML")]
    NotUtf8,
    #[error("the request has no XML document")]
    Empty,
    #[error("document type declarations (<!DOCTYPE>) are not accepted: SOAP messages have none")]
    DocType,
    #[error("processing instructions (<?{0} …?>) are not accepted in a SOAP message")]
    ProcessingInstruction(String),
    #[error("the entity &{0}; is not defined: only &amp; &lt; &gt; &quot; &apos; and character references are")]
    UnknownEntity(String),
    #[error("elements are nested more than {MAX_DEPTH} deep (line {line})")]
    TooDeep { line: usize },
    #[error("the request holds more than {MAX_ELEMENTS} elements (line {line})")]
    TooManyElements { line: usize },
    #[error("the text of <{element}> is longer than {MAX_TEXT_BYTES} bytes (line {line})")]
    TextTooLong { element: String, line: usize },
    #[error("the namespace prefix {prefix:?} is not declared (line {line})")]
    UnknownPrefix { prefix: String, line: usize },
    #[error("text outside the root element (line {line})")]
    TextOutsideRoot { line: usize },
    #[error("more than one root element (line {line})")]
    SecondRoot { line: usize },
    #[error("the XML is not well-formed: {message} (line {line})")]
    Malformed { message: String, line: usize },
}

/// Where an event began; its line is counted only when an error needs it (counting for every
/// event would make a large request quadratic).
#[derive(Clone, Copy)]
struct At<'a> {
    xml: &'a str,
    offset: u64,
}

impl At<'_> {
    fn line(self) -> usize {
        line_at(self.xml, self.offset)
    }
}

/// Line of a byte offset, from 1: what a person can find in their request.
fn line_at(xml: &str, offset: u64) -> usize {
    let end = usize::try_from(offset).unwrap_or(usize::MAX).min(xml.len());
    xml.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Parses `bytes` into its root element. CPU-bound for large bodies: call it off the async
/// threads.
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let xml = std::str::from_utf8(bytes).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = NsReader::from_str(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let at = At {
            xml,
            offset: reader.buffer_position(),
        };
        let line = || at.line();
        let (resolved, event) = match reader.read_resolved_event() {
            Ok(pair) => pair,
            Err(e) => {
                return Err(XmlError::Malformed {
                    message: e.to_string(),
                    line: line_at(xml, reader.error_position()),
                })
            }
        };
        match event {
            Event::Start(e) => {
                let element = open(&resolved, &e, at, &mut elements, &stack, &root)?;
                stack.push(element);
            }
            Event::Empty(e) => {
                let element = open(&resolved, &e, at, &mut elements, &stack, &root)?;
                close(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| XmlError::Malformed {
                    message: "an end tag without its start tag".into(),
                    line: line(),
                })?;
                close(&mut stack, &mut root, element);
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| XmlError::Malformed {
                    message: e.to_string(),
                    line: line(),
                })?;
                push_text(&mut stack, &text, at)?;
            }
            Event::CData(t) => {
                let text = t.xml10_content().map_err(|e| XmlError::Malformed {
                    message: e.to_string(),
                    line: line(),
                })?;
                push_text(&mut stack, &text, at)?;
            }
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.decode().map_err(|e| XmlError::Malformed {
                            message: e.to_string(),
                            line: line(),
                        })?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .map(str::to_string)
                            .ok_or_else(|| XmlError::UnknownEntity(truncate(&name, 40)))?
                    }
                    Err(e) => {
                        return Err(XmlError::Malformed {
                            message: e.to_string(),
                            line: line(),
                        })
                    }
                };
                push_text(&mut stack, &text, at)?;
            }
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::PI(pi) => {
                let target = String::from_utf8_lossy(pi.target()).into_owned();
                return Err(XmlError::ProcessingInstruction(truncate(&target, 40)));
            }
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError::Malformed {
            message: format!("<{}> is not closed", truncate(&open.name, 40)),
            line: line_at(xml, reader.buffer_position()),
        });
    }
    root.ok_or(XmlError::Empty)
}

/// A start tag, counted against the bounds.
fn open(
    resolved: &ResolveResult<'_>,
    e: &BytesStart<'_>,
    at: At<'_>,
    elements: &mut usize,
    stack: &[Element],
    root: &Option<Element>,
) -> Result<Element, XmlError> {
    *elements += 1;
    if *elements > MAX_ELEMENTS {
        return Err(XmlError::TooManyElements { line: at.line() });
    }
    if stack.len() >= MAX_DEPTH {
        return Err(XmlError::TooDeep { line: at.line() });
    }
    if root.is_some() {
        return Err(XmlError::SecondRoot { line: at.line() });
    }
    start_element(resolved, e, at)
}

fn start_element(
    resolved: &ResolveResult<'_>,
    e: &BytesStart<'_>,
    at: At<'_>,
) -> Result<Element, XmlError> {
    let namespace = match resolved {
        ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
        ResolveResult::Unbound => None,
        ResolveResult::Unknown(prefix) => {
            return Err(XmlError::UnknownPrefix {
                prefix: truncate(&String::from_utf8_lossy(prefix), 40),
                line: at.line(),
            })
        }
    };
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let (mut nil, mut must_understand) = (false, false);
    for attr in e.attributes() {
        let attr = attr.map_err(|err| XmlError::Malformed {
            message: err.to_string(),
            line: at.line(),
        })?;
        match attr.key.local_name().as_ref() {
            b"nil" => nil = matches!(attr.value.as_ref(), b"true" | b"1"),
            b"mustUnderstand" => must_understand = matches!(attr.value.as_ref(), b"true" | b"1"),
            _ => {}
        }
    }
    Ok(Element {
        namespace,
        name,
        text: String::new(),
        children: Vec::new(),
        nil,
        must_understand,
    })
}

fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn push_text(stack: &mut [Element], text: &str, at: At<'_>) -> Result<(), XmlError> {
    let Some(element) = stack.last_mut() else {
        if text.trim().is_empty() {
            return Ok(());
        }
        return Err(XmlError::TextOutsideRoot { line: at.line() });
    };
    if element.text.len() + text.len() > MAX_TEXT_BYTES {
        return Err(XmlError::TextTooLong {
            element: truncate(&element.name, 40),
            line: at.line(),
        });
    }
    element.text.push_str(text);
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl Element {
    /// The child elements called `name` (any namespace: the operation element's namespace was
    /// checked, and toolkits differ on qualifying its children).
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn is(&self, namespace: &str, name: &str) -> bool {
        self.namespace.as_deref() == Some(namespace) && self.name == name
    }
}

/// Text for XML content and attribute values.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_text_and_nesting_are_read() {
        let root = parse(
            br#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="urn:s"><s:Body><f:Op xmlns:f="urn:f"><f:a>x &amp; y&#33;</f:a><f:b/><b><![CDATA[<raw>]]></b></f:Op></s:Body></s:Envelope>"#,
        )
        .expect("parsed");
        assert!(root.is("urn:s", "Envelope"));
        let op = &root.children[0].children[0];
        assert!(op.is("urn:f", "Op"));
        assert_eq!(op.child("a").map(|a| a.text.as_str()), Some("x & y!"));
        assert_eq!(op.child("b").map(|b| b.text.as_str()), Some(""));
        assert_eq!(op.children_named("b").count(), 2);
        assert_eq!(op.children[2].namespace, None);
        assert_eq!(op.children[2].text, "<raw>");
    }

    #[test]
    fn a_doctype_is_refused_before_any_entity_is_defined() {
        let laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><a>&lol2;</a>"#;
        assert_eq!(parse(laughs), Err(XmlError::DocType));
        let xxe = br#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#;
        assert_eq!(parse(xxe), Err(XmlError::DocType));
    }

    #[test]
    fn undefined_entities_and_instructions_are_named() {
        assert_eq!(
            parse(b"<a>&nbsp;</a>"),
            Err(XmlError::UnknownEntity("nbsp".into()))
        );
        assert_eq!(
            parse(b"<a><?php echo 1 ?></a>"),
            Err(XmlError::ProcessingInstruction("php".into()))
        );
    }

    #[test]
    fn bounds_are_enforced_with_the_line() {
        let deep = format!(
            "{}{}",
            "<a>\n".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            parse(deep.as_bytes()),
            Err(XmlError::TooDeep {
                line: MAX_DEPTH + 1
            })
        );
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS));
        assert!(matches!(
            parse(wide.as_bytes()),
            Err(XmlError::TooManyElements { .. })
        ));
        let long = format!("<a>{}</a>", "x".repeat(MAX_TEXT_BYTES + 1));
        assert!(matches!(
            parse(long.as_bytes()),
            Err(XmlError::TextTooLong { .. })
        ));
    }

    #[test]
    fn broken_documents_say_what_and_where() {
        assert!(matches!(
            parse(b"<a>\n<b></a>"),
            Err(XmlError::Malformed { line: 2, .. })
        ));
        assert!(matches!(parse(b"<a>"), Err(XmlError::Malformed { .. })));
        assert_eq!(parse(b""), Err(XmlError::Empty));
        assert_eq!(parse(b"  \n "), Err(XmlError::Empty));
        assert_eq!(parse(b"\xff\xfe<"), Err(XmlError::NotUtf8));
        assert!(matches!(
            parse(b"<a/><b/>"),
            Err(XmlError::SecondRoot { .. })
        ));
        assert!(matches!(
            parse(b"<x:a/>"),
            Err(XmlError::UnknownPrefix { .. })
        ));
        assert!(matches!(
            parse(b"<a/>text"),
            Err(XmlError::TextOutsideRoot { .. })
        ));
    }
}
