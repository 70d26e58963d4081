//! Compiles the portal's translations (`locales/<language>/*.ftl`, Fluent syntax) into one Rust
//! function per message (`$OUT_DIR/tr.rs`, included as `app::i18n::tr`).
//!
//! Why code and not a Fluent bundle at run time: the bundle and its parser cost 64 KB gzip of
//! WebAssembly, and every page's strings would sit in the main module. As functions, a string
//! lives in the page group that uses it, and a missing message is a build error, not a blank.
//!
//! Supported Fluent: text, `{ $variable }`, `{ -term }`, string literals, and `select` on a
//! numeric variable with plural categories (`[one]`, `*[other]`) or exact numbers (`[0]`).
//! A message must exist in every language; a variable used in one language must be given to
//! every language (a selector-only variable may go unused in a language without plurals).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fluent_syntax::ast;

/// Languages and the `Lang` variant each compiles to. The first is the reference.
const LANGUAGES: &[(&str, &str)] = &[("en", "En"), ("zh-Hant", "ZhHant")];

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Var(String),
    Select {
        var: String,
        /// (key, pattern); exact numbers are tried first, then plural categories.
        variants: Vec<(VariantKey, Vec<Part>)>,
        default: Vec<Part>,
    },
}

#[derive(Debug, Clone)]
enum VariantKey {
    Exact(i64),
    Category(String),
}

struct Message {
    file: String,
    parts: Vec<Part>,
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let locales = root.join("locales");
    println!("cargo:rerun-if-changed={}", locales.display());
    let mut catalogs: Vec<BTreeMap<String, Message>> = Vec::new();
    let mut errors = Vec::new();
    for (tag, _) in LANGUAGES {
        let dir = locales.join(tag);
        println!("cargo:rerun-if-changed={}", dir.display());
        catalogs.push(read_language(&dir, &mut errors));
    }
    check_complete(&catalogs, &mut errors);
    if !errors.is_empty() {
        for e in &errors {
            println!("cargo:warning={e}");
        }
        panic!(
            "{} translation error(s):\n{}",
            errors.len(),
            errors.join("\n")
        );
    }
    let code = generate(&catalogs);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("tr.rs");
    std::fs::write(&out, code).expect("writing tr.rs");
}

fn read_language(dir: &Path, errors: &mut Vec<String>) -> BTreeMap<String, Message> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .collect(),
        Err(e) => {
            errors.push(format!("{}: {e}", dir.display()));
            return BTreeMap::new();
        }
    };
    files.sort();
    // (file name, text), read first: the parsed files borrow their text.
    let mut sources = Vec::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = format!(
            "{}/{}",
            dir.file_name().unwrap_or_default().to_string_lossy(),
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        match std::fs::read_to_string(path) {
            Ok(source) => sources.push((name, source)),
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    }
    let mut resources = Vec::new();
    for (name, source) in &sources {
        let resource = match fluent_syntax::parser::parse(source.as_str()) {
            Ok(r) => r,
            Err((r, errs)) => {
                for e in errs {
                    let line = source[..e.pos.start.min(source.len())].lines().count();
                    errors.push(format!("{name}:{line}: {:?}", e.kind));
                }
                r
            }
        };
        resources.push((name, resource));
    }
    // Terms first, from every file, so a message may use a term defined anywhere.
    let mut terms: BTreeMap<String, Vec<Part>> = BTreeMap::new();
    for (name, resource) in &resources {
        for entry in &resource.body {
            if let ast::Entry::Term(term) = entry {
                let parts = convert(&term.value, &terms, name, errors);
                terms.insert(term.id.name.to_string(), parts);
            }
        }
    }
    let mut messages = BTreeMap::new();
    for (name, resource) in resources {
        for entry in resource.body {
            let ast::Entry::Message(message) = entry else {
                continue;
            };
            let id = message.id.name.to_string();
            if !message.attributes.is_empty() {
                errors.push(format!("{name}: {id}: attributes are not supported"));
            }
            let Some(value) = &message.value else {
                errors.push(format!("{name}: {id} has no value"));
                continue;
            };
            let parts = convert(value, &terms, name, errors);
            if let Some(previous) = messages.insert(
                id.clone(),
                Message {
                    file: name.clone(),
                    parts,
                },
            ) {
                errors.push(format!("{name}: {id} is also defined in {}", previous.file));
            }
        }
    }
    messages
}

fn convert(
    pattern: &ast::Pattern<&str>,
    terms: &BTreeMap<String, Vec<Part>>,
    file: &str,
    errors: &mut Vec<String>,
) -> Vec<Part> {
    let mut parts = Vec::new();
    for element in &pattern.elements {
        match element {
            ast::PatternElement::TextElement { value } => parts.push(Part::Text(value.to_string())),
            ast::PatternElement::Placeable { expression } => {
                parts.extend(convert_expression(expression, terms, file, errors))
            }
        }
    }
    parts
}

fn convert_expression(
    expression: &ast::Expression<&str>,
    terms: &BTreeMap<String, Vec<Part>>,
    file: &str,
    errors: &mut Vec<String>,
) -> Vec<Part> {
    match expression {
        ast::Expression::Inline(inline) => convert_inline(inline, terms, file, errors),
        ast::Expression::Select { selector, variants } => {
            let ast::InlineExpression::VariableReference { id } = selector else {
                errors.push(format!("{file}: only a variable can be selected on"));
                return Vec::new();
            };
            let mut keyed = Vec::new();
            let mut default = Vec::new();
            for variant in variants {
                let value = convert(&variant.value, terms, file, errors);
                if variant.default {
                    default = value.clone();
                }
                let key = match &variant.key {
                    ast::VariantKey::Identifier { name } => VariantKey::Category(name.to_string()),
                    ast::VariantKey::NumberLiteral { value: n } => match n.parse() {
                        Ok(n) => VariantKey::Exact(n),
                        Err(_) => {
                            errors.push(format!("{file}: variant key {n} is not a whole number"));
                            continue;
                        }
                    },
                };
                if !variant.default {
                    keyed.push((key, value));
                }
            }
            vec![Part::Select {
                var: id.name.to_string(),
                variants: keyed,
                default,
            }]
        }
    }
}

fn convert_inline(
    inline: &ast::InlineExpression<&str>,
    terms: &BTreeMap<String, Vec<Part>>,
    file: &str,
    errors: &mut Vec<String>,
) -> Vec<Part> {
    match inline {
        ast::InlineExpression::StringLiteral { value } => vec![Part::Text(unescape(value))],
        ast::InlineExpression::NumberLiteral { value } => vec![Part::Text(value.to_string())],
        ast::InlineExpression::VariableReference { id } => vec![Part::Var(id.name.to_string())],
        ast::InlineExpression::TermReference {
            id,
            attribute: None,
            arguments: None,
        } => match terms.get(id.name) {
            Some(parts) => parts.clone(),
            None => {
                errors.push(format!("{file}: unknown term -{}", id.name));
                Vec::new()
            }
        },
        ast::InlineExpression::Placeable { expression } => {
            convert_expression(expression, terms, file, errors)
        }
        other => {
            errors.push(format!("{file}: unsupported expression {other:?}"));
            Vec::new()
        }
    }
}

/// Fluent string literals escape `\"`, `\\` and `\u`/`\U` code points.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => push_code_point(&mut out, &mut chars, 4),
            Some('U') => push_code_point(&mut out, &mut chars, 6),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn push_code_point(out: &mut String, chars: &mut std::str::Chars<'_>, digits: usize) {
    let hex: String = chars.by_ref().take(digits).collect();
    if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
        out.push(c);
    }
}

/// (variables placed as text, variables selected on) of a pattern.
fn variables(parts: &[Part], placed: &mut BTreeSet<String>, selected: &mut BTreeSet<String>) {
    for part in parts {
        match part {
            Part::Text(_) => {}
            Part::Var(v) => {
                placed.insert(v.clone());
            }
            Part::Select {
                var,
                variants,
                default,
            } => {
                selected.insert(var.clone());
                for (_, p) in variants {
                    variables(p, placed, selected);
                }
                variables(default, placed, selected);
            }
        }
    }
}

fn check_complete(catalogs: &[BTreeMap<String, Message>], errors: &mut Vec<String>) {
    let all: BTreeSet<&String> = catalogs.iter().flat_map(|c| c.keys()).collect();
    for id in all {
        for ((tag, _), catalog) in LANGUAGES.iter().zip(catalogs) {
            if !catalog.contains_key(id) {
                errors.push(format!("message {id} is missing in {tag}"));
            }
        }
        let signatures: Vec<(BTreeSet<String>, BTreeSet<String>)> = catalogs
            .iter()
            .filter_map(|c| c.get(id))
            .map(|m| {
                let (mut placed, mut selected) = (BTreeSet::new(), BTreeSet::new());
                variables(&m.parts, &mut placed, &mut selected);
                (placed, selected)
            })
            .collect();
        let selected: BTreeSet<&String> = signatures.iter().flat_map(|(_, s)| s).collect();
        for (i, (placed, _)) in signatures.iter().enumerate() {
            for (j, (other, _)) in signatures.iter().enumerate() {
                for v in placed.difference(other) {
                    if !selected.contains(v) {
                        errors.push(format!(
                            "message {id}: ${v} is used in {} but not in {}",
                            LANGUAGES[i].0, LANGUAGES[j].0
                        ));
                    }
                }
            }
        }
    }
}

fn snake(id: &str) -> String {
    id.replace('-', "_")
}

fn generate(catalogs: &[BTreeMap<String, Message>]) -> String {
    let mut code = String::from("// Generated by app/build.rs from app/locales; do not edit.\n\n");
    let mut ids = Vec::new();
    for (id, reference) in &catalogs[0] {
        ids.push(id.clone());
        let (mut placed, mut selected) = (BTreeSet::new(), BTreeSet::new());
        for catalog in catalogs {
            variables(&catalog[id].parts, &mut placed, &mut selected);
        }
        let args: BTreeSet<&String> = placed.iter().chain(&selected).collect();
        let _ = writeln!(
            code,
            "/// `{id}` ({}): {}",
            reference.file,
            doc(&reference.parts)
        );
        if args.is_empty() {
            let _ = writeln!(
                code,
                "pub fn {}(lang: Lang) -> &'static str {{\n    match lang {{",
                snake(id)
            );
            for ((_, variant), catalog) in LANGUAGES.iter().zip(catalogs) {
                let text: String = catalog[id]
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Text(t) => t.as_str(),
                        _ => "",
                    })
                    .collect();
                let _ = writeln!(code, "        Lang::{variant} => {text:?},");
            }
            code.push_str("    }\n}\n\n");
            continue;
        }
        let params: Vec<String> = args
            .iter()
            .map(|a| {
                if selected.contains(*a) {
                    format!("{}: i64", snake(a))
                } else {
                    format!("{}: impl ::std::fmt::Display", snake(a))
                }
            })
            .collect();
        let _ = writeln!(
            code,
            "#[allow(unused_variables)]\npub fn {}(lang: Lang, {}) -> String {{\n    use ::std::fmt::Write as _;\n    let mut out = String::new();\n    match lang {{",
            snake(id),
            params.join(", ")
        );
        for ((_, variant), catalog) in LANGUAGES.iter().zip(catalogs) {
            let _ = writeln!(code, "        Lang::{variant} => {{");
            emit(
                &mut code,
                &catalog[id].parts,
                "Lang::".to_string() + variant,
                3,
            );
            code.push_str("        }\n");
        }
        code.push_str("    }\n    out\n}\n\n");
    }
    let _ = writeln!(
        code,
        "/// Every message id, in order.\npub const IDS: &[&str] = &{ids:?};"
    );
    code.push_str(&server_templates(catalogs));
    code
}

/// The `server-*` messages as templates: the engine and the rules crate word their refusals
/// in English, and `i18n::from_english` finds the template an English text was made from,
/// takes its variables' values out, and puts them into the other language's wording.
fn server_templates(catalogs: &[BTreeMap<String, Message>]) -> String {
    let mut code = String::from(
        "\n/// `server-*` messages: (id, English segments, segments in each other language).\n\
         pub static SERVER_TEMPLATES: &[(&str, &[super::Segment], &[&[super::Segment]])] = &[\n",
    );
    let segments = |parts: &[Part]| -> Option<String> {
        let mut out = String::from("&[");
        for part in parts {
            match part {
                Part::Text(t) => {
                    let _ = write!(out, "super::Segment::Text({t:?}), ");
                }
                Part::Var(v) => {
                    let _ = write!(out, "super::Segment::Var({v:?}), ");
                }
                Part::Select { .. } => return None,
            }
        }
        out.push(']');
        Some(out)
    };
    for (id, english) in &catalogs[0] {
        if !id.starts_with("server-") {
            continue;
        }
        let Some(en) = segments(&english.parts) else {
            panic!("{id}: server messages cannot select; write one message per case");
        };
        let others: Vec<String> = catalogs[1..]
            .iter()
            .map(|c| segments(&c[id].parts).unwrap_or_else(|| panic!("{id}: no select")))
            .collect();
        let _ = writeln!(code, "    ({id:?}, {en}, &[{}]),", others.join(", "));
    }
    code.push_str("];\n");
    code
}

fn emit(code: &mut String, parts: &[Part], lang: String, depth: usize) {
    let pad = "    ".repeat(depth);
    for part in parts {
        match part {
            Part::Text(t) => {
                let _ = writeln!(code, "{pad}out.push_str({t:?});");
            }
            Part::Var(v) => {
                let _ = writeln!(code, "{pad}let _ = write!(out, \"{{}}\", {});", snake(v));
            }
            Part::Select {
                var,
                variants,
                default,
            } => {
                let var = snake(var);
                let mut first = true;
                let mut sorted: Vec<&(VariantKey, Vec<Part>)> = variants
                    .iter()
                    .filter(|(k, _)| matches!(k, VariantKey::Exact(_)))
                    .collect();
                sorted.extend(
                    variants
                        .iter()
                        .filter(|(k, _)| matches!(k, VariantKey::Category(_))),
                );
                for (key, value) in sorted {
                    let condition = match key {
                        VariantKey::Exact(n) => format!("{var} == {n}"),
                        VariantKey::Category(c) => {
                            format!("super::plural_category({lang}, {var}) == {c:?}")
                        }
                    };
                    let _ = writeln!(
                        code,
                        "{pad}{}if {condition} {{",
                        if first { "" } else { "} else " }
                    );
                    emit(code, value, lang.clone(), depth + 1);
                    first = false;
                }
                if first {
                    emit(code, default, lang.clone(), depth);
                } else {
                    let _ = writeln!(code, "{pad}}} else {{");
                    emit(code, default, lang.clone(), depth + 1);
                    let _ = writeln!(code, "{pad}}}");
                }
            }
        }
    }
}

fn doc(parts: &[Part]) -> String {
    let mut s = String::new();
    for part in parts {
        match part {
            Part::Text(t) => s.push_str(&t.replace('\n', " ")),
            Part::Var(v) => {
                let _ = write!(s, "{{${v}}}");
            }
            Part::Select { var, default, .. } => {
                let _ = write!(s, "{{${var} -> … {}}}", doc(default));
            }
        }
    }
    s
}
