//! Pages render while other routers of the same process are built, as they are in this test
//! suite (every test builds its own router) or in any process that builds one per listener.
//! Building a router generates the route list, which switched resource loading off process-wide
//! while it ran (leptos-rs/leptos#4773): a page rendered meanwhile waited for its resources
//! forever. `server::http::route_list` generates the list once per process; this test renders
//! pages with resources, as a customer and as staff, while routers are built without pause.

mod common;

use common::{normal_customer, router_for, staff};
use engine::db::testing::sqlite;
use http::StatusCode;
use sms::Money;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_routers_are_built() {
    let t = Arc::new(sqlite().await);
    let (customer, _) = normal_customer(&t, "racer", Money::hkd(100)).await;
    let staff = staff(&t).await;
    let building = Arc::new(AtomicBool::new(true));
    // Stops the builder however this test ends: a failed render must fail the test, not leave
    // the runtime waiting for a blocking task that never returns.
    struct StopBuilding(Arc<AtomicBool>);
    impl Drop for StopBuilding {
        fn drop(&mut self) {
            self.0.store(false, Ordering::Relaxed);
        }
    }
    let stop = StopBuilding(building.clone());
    let builder = {
        let (t, building) = (t.clone(), building.clone());
        tokio::task::spawn_blocking(move || {
            let mut built = 0u32;
            while building.load(Ordering::Relaxed) {
                drop(router_for(&t, [192, 0, 2, 99]));
                built += 1;
            }
            built
        })
    };
    let mut renders = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (mut customer, mut staff) = (customer.clone(), staff.clone());
        renders.spawn(async move {
            let mut slowest = Duration::ZERO;
            for round in 0..25 {
                let (client, path) = match (worker + round) % 5 {
                    0 => (&mut customer, "/account"),
                    1 => (&mut customer, "/results"),
                    2 => (&mut customer, "/broadcast"),
                    3 => (&mut staff, "/admin"),
                    _ => (&mut staff, "/admin/payments"),
                };
                let started = Instant::now();
                let reply = tokio::time::timeout(Duration::from_secs(10), client.page(path))
                    .await
                    .unwrap_or_else(|_| panic!("rendering {path} stalled"));
                assert_eq!(reply.status, StatusCode::OK, "{path}");
                slowest = slowest.max(started.elapsed());
            }
            slowest
        });
    }
    let mut slowest = Duration::ZERO;
    while let Some(worker) = renders.join_next().await {
        slowest = slowest.max(worker.expect("render worker"));
    }
    drop(stop);
    let built = builder.await.expect("router builder");
    assert!(built > 0, "no router was built while the pages rendered");
    eprintln!("200 renders beside {built} router builds; slowest {slowest:?}");
}
