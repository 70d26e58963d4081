// `sqlx::migrate!` embeds the migration files when `db.rs` compiles, but cargo does not know
// they are inputs: without this, a new migration is left out of an incremental build.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
