//! The rules run on every keystroke in the browser and for every message on the server; these
//! benchmarks keep the worst realistic cases (a full 459-unit text, a 10,000-keyword library)
//! honest.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sms::keywords::KeywordSet;
use sms::segment::{segment, split, SegmentTable};

fn gsm_text() -> String {
    // 459 units with extension characters and line breaks, as a real promotion would have.
    let base = "Sale {today}: 50% off [all] items €5~ call 2345 6789\n";
    let mut text = String::new();
    while sms::encoding::units(&text, sms::Encoding::Gsm7) + 70 < 459 {
        text.push_str(base);
    }
    while sms::encoding::units(&text, sms::Encoding::Gsm7) < 459 {
        text.push('a');
    }
    text
}

fn ucs2_text(chars: usize) -> String {
    "優惠今日全部貨品半價😀"
        .chars()
        .cycle()
        .take(chars)
        .collect()
}

fn benches(c: &mut Criterion) {
    let gsm = gsm_text();
    let ucs_std = ucs2_text(190); // ~201 units on the Standard table
    let ucs_cn = ucs2_text(420); // ~459 units on the China table

    c.bench_function("segment gsm7 459 units (standard)", |b| {
        b.iter(|| segment(black_box(&gsm), SegmentTable::Standard))
    });
    c.bench_function("segment ucs2 459 units (china)", |b| {
        b.iter(|| segment(black_box(&ucs_cn), SegmentTable::China))
    });
    c.bench_function("segment ucs2 201 units (standard)", |b| {
        b.iter(|| segment(black_box(&ucs_std), SegmentTable::Standard))
    });
    c.bench_function("split gsm7 459 units (standard)", |b| {
        b.iter(|| split(black_box(&gsm), SegmentTable::Standard))
    });
    c.bench_function("split ucs2 459 units (china)", |b| {
        b.iter(|| split(black_box(&ucs_cn), SegmentTable::China))
    });

    let keywords: Vec<String> = (0..10_000)
        .map(|i| {
            let a = char::from_u32(0x4E00 + (i * 7) % 20_000).unwrap_or('中');
            let b = char::from_u32(0x4E00 + (i * 13 + 5) % 20_000).unwrap_or('文');
            format!("{a}{b}{}", i % 97)
        })
        .collect();
    c.bench_function("build keyword set of 10,000", |b| {
        b.iter(|| KeywordSet::new(black_box(&keywords)))
    });
    let set = KeywordSet::new(&keywords).expect("compiles");
    let mut haystack: String = ucs_cn.chars().take(440).collect();
    haystack.push_str(&keywords[9_999]);
    c.bench_function("find keywords in 459-char text, 10,000 keywords", |b| {
        b.iter(|| set.find_all(black_box(&haystack)))
    });
    c.bench_function("contains_any in 459-char text, 10,000 keywords", |b| {
        b.iter(|| set.contains_any(black_box(&haystack)))
    });
    let ascii: String = gsm.chars().take(459).collect();
    c.bench_function(
        "find keywords in 459-char ASCII text, 10,000 keywords",
        |b| b.iter(|| set.find_all(black_box(&ascii))),
    );
}

criterion_group!(rules, benches);
criterion_main!(rules);
