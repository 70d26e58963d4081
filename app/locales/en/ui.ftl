# The shared components (app/src/ui.rs).
ui-loading = Loading…
ui-loading-what = Loading { $what }…
ui-coming-soon = Coming soon
ui-previous = ← Previous
ui-next = Next →
ui-pages = Pages
ui-page-of = Page { $page } of { $pages }
