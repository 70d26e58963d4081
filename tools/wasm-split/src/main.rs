//! Splits the browser half's WebAssembly at every split point (the page groups of
//! `app/src/lib.rs`, Leptos lazy routes), so a page downloads only the code it runs. Runs on
//! cargo's output, before wasm-bindgen and wasm-opt, which would drop the relocations the
//! split needs.
//!
//! Usage: `ferry-wasm-split <input.wasm> <pkg dir> <main out.wasm> <output name>`
//!
//! Writes into `<pkg dir>` one `split_*.wasm` per lazy function, `chunk_*.wasm` for code
//! several of them share, the JS that loads them, and `__wasm_split_manifest.json`: Leptos's
//! server reads the manifest to preload the chunks of the page it renders.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The loader's module name: the one Leptos's server looks for when it preloads chunks.
const LINK_NAME: &str = "./__wasm_split.______________________.js";

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, pkg_dir, main_out, output_name] = args.as_slice() else {
        eprintln!("usage: ferry-wasm-split <input.wasm> <pkg dir> <main out.wasm> <output name>");
        return ExitCode::from(2);
    };
    match split(input, pkg_dir, main_out, &output_name.to_string_lossy()) {
        Ok(modules) => {
            println!("split into the main module and {modules} lazy modules");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("ferry-wasm-split: {err}");
            ExitCode::FAILURE
        }
    }
}

fn split(
    input: &Path,
    pkg_dir: &Path,
    main_out: &Path,
    output_name: &str,
) -> Result<usize, String> {
    let wasm = std::fs::read(input).map_err(|e| format!("reading {}: {e}", input.display()))?;
    // The loader imports `initSync` from wasm-bindgen's JS for the main module, beside it.
    let main_module = format!("./{output_name}.js");
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = pkg_dir;
    options.main_out_path = main_out;
    options.main_module = &main_module;
    options.link_name = LINK_NAME;
    let split = wasm_split_cli_support::transform(options).map_err(|e| format!("{e:#}"))?;
    let manifest = serde_json::to_string_pretty(&split.prefetch_map)
        .map_err(|e| format!("encoding the manifest: {e}"))?;
    let manifest_path = pkg_dir.join("__wasm_split_manifest.json");
    std::fs::write(&manifest_path, manifest)
        .map_err(|e| format!("writing {}: {e}", manifest_path.display()))?;
    Ok(split.split_modules.len())
}
