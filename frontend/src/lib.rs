//! The WASM entry point: takes over the server-rendered page so it becomes interactive.

use wasm_bindgen::JsCast;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // What `leptos::mount::hydrate_lazy` does, plus a sign when it is done: the page may be a
    // lazy route whose code is fetched before it hydrates, so the app root is marked only once
    // everything on the page is live (browser tests wait for `data-hydrated="true"`).
    _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let body = leptos::tachys::dom::body();
        let owner = leptos::mount::hydrate_from_async(body, app::App).await;
        owner.forget();
        if let Some(root) = leptos::prelude::document().get_element_by_id("app") {
            _ = root
                .unchecked_into::<web_sys::HtmlElement>()
                .set_attribute("data-hydrated", "true");
        }
    });
}
