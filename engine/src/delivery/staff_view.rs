//! Staff reading any account's batches and messages (§13): the same lists and pages the
//! customer sees, with every message's content masked to its first 5 characters, and each
//! view recorded in the audit log (who looked at whose batches, and which).

use super::store;
use super::{BatchDetail, BatchFilter, BatchList, BatchSummary, MessageFilter};
use crate::db::Db;
use crate::error::Error;
use serde_json::json;

fn masked(mut summary: BatchSummary) -> BatchSummary {
    summary.content = sms::mask_for_staff(&summary.content);
    summary
}

async fn audit_view(
    db: &Db,
    staff_id: i64,
    account_id: i64,
    action: &str,
    what: serde_json::Value,
) -> Result<(), Error> {
    let mut tx = db.begin_write().await?;
    crate::audit::record(&mut tx, staff_id, action, Some(account_id), json!({}), what).await?;
    tx.commit().await?;
    Ok(())
}

/// A page of `account_id`'s batches, masked; audited as `batches.view`.
pub async fn batches(
    db: &Db,
    staff_id: i64,
    account_id: i64,
    filter: &BatchFilter,
) -> Result<BatchList, Error> {
    let mut list = store::search(db, account_id, filter).await?;
    list.batches = list.batches.into_iter().map(masked).collect();
    audit_view(
        db,
        staff_id,
        account_id,
        "batches.view",
        json!({ "page": list.page }),
    )
    .await?;
    Ok(list)
}

/// One of `account_id`'s batches with a page of its messages, masked; audited as
/// `batch.view`. `None` when the account has no such batch.
pub async fn batch(
    db: &Db,
    staff_id: i64,
    account_id: i64,
    batch_id: i64,
    filter: &MessageFilter,
    page: i64,
) -> Result<Option<BatchDetail>, Error> {
    let Some(mut detail) = store::detail(db, account_id, batch_id, filter, page).await? else {
        return Ok(None);
    };
    detail.summary = masked(detail.summary);
    // Staff only look: nothing here deletes or resends.
    detail.can_delete = false;
    audit_view(
        db,
        staff_id,
        account_id,
        "batch.view",
        json!({ "batch": batch_id, "page": detail.page }),
    )
    .await?;
    Ok(Some(detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::all_backends;
    use crate::delivery::store::{create_batch, NewBatch};
    use crate::testing::{audit_entries, fixture};

    #[tokio::test]
    async fn staff_see_any_batch_masked_and_every_look_is_audited() {
        for t in all_backends().await {
            let f = fixture(&t.db).await;
            let text = "Your verification code is 481516";
            let new = NewBatch::on_route(
                f.customer,
                sms::Route::HkEconomic,
                text,
                [("85291234567".to_string(), sms::Money::from_minor(22))],
            );
            let id = create_batch(&t.db, &new).await.expect("batch");

            let list = batches(&t.db, f.staff, f.customer, &BatchFilter::default())
                .await
                .expect("list");
            assert_eq!(list.batches.len(), 1, "{}", t.name);
            assert_eq!(list.batches[0].content, "Your …");
            let detail = batch(&t.db, f.staff, f.customer, id, &MessageFilter::default(), 1)
                .await
                .expect("detail")
                .expect("found");
            assert_eq!(detail.summary.content, "Your …");
            assert_eq!(detail.messages.len(), 1);
            assert!(!detail.can_delete);
            // Another account's batch is not found under this one.
            let elsewhere = batch(
                &t.db,
                f.staff,
                f.sub_account,
                id,
                &MessageFilter::default(),
                1,
            )
            .await
            .expect("looked");
            assert!(elsewhere.is_none());

            let views: Vec<_> = audit_entries(&t.db)
                .await
                .into_iter()
                .filter(|(action, ..)| action.ends_with(".view"))
                .collect();
            assert_eq!(views.len(), 2, "{views:?}");
            assert_eq!(views[0].0, "batches.view");
            assert_eq!(views[0].1, Some(f.customer));
            assert_eq!(views[1].0, "batch.view");
            assert!(
                views[1].3.contains(&format!("\"batch\":{id}")),
                "{:?}",
                views[1]
            );
            // The content itself is in no audit entry.
            assert!(views.iter().all(|v| !v.3.contains("481516")));
        }
    }
}
