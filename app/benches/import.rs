//! Quick-import and do-not-call figures (§6), reproducible with:
//!
//! ```sh
//! cargo bench -p app --features ssr --bench import   # SQLite; PostgreSQL too when
//!                                                    # FERRY_TEST_PG_URL is set (source
//!                                                    # scripts/common.sh and scripts/pg-cluster.sh)
//! ```
//! `FERRY_BENCH_DNC=N` changes the register size (default 1,000,000).
//!
//! Prints the median of several runs for: a 50,000-number CSV and XLSX import, `Msisdn::parse`
//! alone on the same numbers (for comparison: the import's own cost around it), and a
//! 1,000,000-number do-not-call register import on each backend.

use engine::db::testing;
use std::time::{Duration, Instant};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn numbers(n: usize) -> Vec<String> {
    // Spread over many Hong Kong mobile prefixes (5xxx, 6xxx, 9xxx).
    (0..n)
        .map(|i| {
            let base = [51_000_000u64, 61_000_000, 91_000_000][i % 3];
            format!("{}", base + (i as u64 * 7_919) % 8_000_000)
        })
        .collect()
}

fn csv(n: usize) -> Vec<u8> {
    let mut out = String::from("Mobile\r\n");
    for (i, num) in numbers(n).iter().enumerate() {
        if i.is_multiple_of(2) {
            out.push_str(num);
        } else {
            out.push_str(&format!("+852 {} {}", &num[..4], &num[4..]));
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn xlsx(n: usize) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Mobile").expect("header");
    for (i, num) in numbers(n).iter().enumerate() {
        let row = i as u32 + 1;
        if i.is_multiple_of(2) {
            sheet
                .write_number(row, 0, num.parse::<f64>().expect("digits"))
                .expect("cell");
        } else {
            sheet.write_string(row, 0, num).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

async fn dnc(t: &testing::TestDb, n: usize) -> Duration {
    use sqlx::Row;
    app::auth::store::ensure_first_staff(&t.db)
        .await
        .expect("staff");
    let staff: i64 = sqlx::query("SELECT id FROM accounts WHERE login_name = 'admin'")
        .fetch_one(t.db.pool())
        .await
        .expect("staff")
        .try_get(0)
        .expect("id");
    let mut list: Vec<String> = (0..n).map(|i| format!("852{}", 60_000_000 + i)).collect();
    list.sort();
    let mut runs = Vec::new();
    for round in 0..3 {
        let start = Instant::now();
        engine::dnc::store::replace(
            &t.db,
            staff,
            "2026-11-26",
            &format!("bench-{round}.csv"),
            &list,
        )
        .await
        .expect("replace");
        runs.push(start.elapsed());
    }
    median(runs)
}

fn main() {
    let n = 50_000;
    let csv = csv(n);
    let xlsx = xlsx(n);
    let csv_time = time(5, || engine::import::parse::import(&csv, 852).expect("csv"));
    let xlsx_time = time(5, || {
        engine::import::parse::import(&xlsx, 852).expect("xlsx")
    });
    let plain: Vec<String> = numbers(n);
    let slow = time(3, || {
        plain
            .iter()
            .filter(|s| sms::Msisdn::parse(s, 852).is_ok())
            .count()
    });
    println!(
        "import  CSV  {n} numbers ({} KB): {csv_time:?}",
        csv.len() / 1024
    );
    println!(
        "import  XLSX {n} numbers ({} KB): {xlsx_time:?}",
        xlsx.len() / 1024
    );
    println!("reference: Msisdn::parse alone on {n} plain numbers: {slow:?}");

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let million = std::env::var("FERRY_BENCH_DNC")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000usize);
        let sqlite = testing::sqlite().await;
        println!(
            "dnc     SQLite     {million} numbers: {:?}",
            dnc(&sqlite, million).await
        );
        match testing::postgres().await {
            Some(pg) => println!(
                "dnc     PostgreSQL {million} numbers: {:?}",
                dnc(&pg, million).await
            ),
            None => println!("dnc     PostgreSQL skipped (FERRY_TEST_PG_URL not set)"),
        }
    });
}
