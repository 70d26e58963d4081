//! The portal's doors to a staff-review queue (`engine::review`): the customer's own requests,
//! the pending queue for staff, and a staff decision. Payments, business registrations and
//! China signatures differ only in names, so one macro writes the three server functions of
//! each and the queues cannot drift apart.

/// Writes `$own` (the caller's requests), `$pending` (staff: what waits) and `$decide`
/// (staff: approve, or reject with a reason; `$id` names the request's form field) over the
/// engine's `$list` and `$decide_with`.
macro_rules! review_doors {
    (
        item: $item:ty,
        own: $own:ident = $own_endpoint:tt,
        pending: $pending:ident = $pending_endpoint:tt,
        list: $list:path,
        decide: $decide:ident($id:ident) = $decide_endpoint:tt,
        decide_with: $decide_with:path $(,)?
    ) => {
        #[server(endpoint = $own_endpoint)]
        pub async fn $own() -> Result<Vec<$item>, AppError> {
            crate::auth::context::as_viewer(|viewer, db| async move {
                let own = engine::review::Listing::Own {
                    account_id: viewer.account_id,
                };
                Ok($list(&db, own).await?)
            })
            .await
        }

        #[server(endpoint = $pending_endpoint)]
        pub async fn $pending() -> Result<Vec<$item>, AppError> {
            crate::auth::context::as_staff(|_, db| async move {
                Ok($list(&db, engine::review::Listing::Pending).await?)
            })
            .await
        }

        #[server(endpoint = $decide_endpoint)]
        pub async fn $decide($id: i64, approve: bool, reason: String) -> Result<(), AppError> {
            crate::auth::context::as_staff(|staff, db| async move {
                let decision = engine::review::Decision::new(approve, &reason)?;
                Ok($decide_with(&db, staff.account_id, $id, &decision).await?)
            })
            .await
        }
    };
}

pub(crate) use review_doors;
