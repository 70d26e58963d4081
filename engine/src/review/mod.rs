//! The staff-review workflow shared by payments (§3), business registrations (§2) and China
//! signatures (§3, §5): a customer submits a request, it waits as `pending` (one at a time per
//! account where the rule says so), and staff approve or reject it, a rejection always with a
//! reason for the customer. A decision is taken once: a guarded UPDATE claims the pending row,
//! and the decision's effects (ledger entries, account changes) and its audit entry commit in
//! the same transaction, so a double click or two staff at once cannot decide twice.

pub mod payments;
pub mod registrations;
pub mod signatures;

use crate::error::Error;
use serde::{Deserialize, Serialize};

/// What every staff-review request has, whatever it asks for (it reads as flat fields, in
/// JSON and in SQL, beside the request's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "storage", derive(sqlx::FromRow))]
pub struct Request {
    pub id: i64,
    pub account_id: i64,
    pub login_name: String,
    /// `pending`, then what staff decided: `confirmed`/`approved`, or `rejected`.
    pub status: String,
    /// Why staff rejected it, for the customer.
    pub reject_reason: Option<String>,
    pub created_at: i64,
}

/// The queues staff work through, one table each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Payments,
    Registrations,
    Signatures,
}

impl Queue {
    #[cfg_attr(not(feature = "storage"), allow(dead_code))]
    fn table(self) -> &'static str {
        match self {
            Queue::Payments => "payments",
            Queue::Registrations => "registrations",
            Queue::Signatures => "signature_applications",
        }
    }

    /// What the customer calls one request, in a sentence.
    pub fn noun(self) -> &'static str {
        match self {
            Queue::Payments => "payment",
            Queue::Registrations => "registration",
            Queue::Signatures => "application",
        }
    }

    /// The status an approved request takes (a payment is "confirmed").
    pub fn approved_status(self) -> &'static str {
        match self {
            Queue::Payments => "confirmed",
            Queue::Registrations | Queue::Signatures => "approved",
        }
    }
}

/// A staff decision, checked: a rejection always tells the customer why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: String },
}

impl Decision {
    pub fn new(approve: bool, reason: &str) -> Result<Decision, Error> {
        let reason = reason.trim();
        if approve {
            Ok(Decision::Approve)
        } else if reason.is_empty() {
            Err(Error::field(
                "reason",
                "Give the customer a reason for the rejection.",
            ))
        } else if reason.chars().count() > 500 {
            Err(Error::field(
                "reason",
                "Keep the reason to 500 characters or fewer.",
            ))
        } else {
            Ok(Decision::Reject {
                reason: reason.to_string(),
            })
        }
    }

    pub fn approves(&self) -> bool {
        matches!(self, Decision::Approve)
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Decision::Approve => None,
            Decision::Reject { reason } => Some(reason),
        }
    }

    pub fn status(&self, queue: Queue) -> &'static str {
        match self {
            Decision::Approve => queue.approved_status(),
            Decision::Reject { .. } => "rejected",
        }
    }

    /// The audit log's action name, e.g. `payment.confirm`, `registration.reject`.
    pub fn action(&self, queue: Queue) -> String {
        let verb = match (self, queue) {
            (Decision::Approve, Queue::Payments) => "confirm",
            (Decision::Approve, _) => "approve",
            (Decision::Reject { .. }, _) => "reject",
        };
        let subject = match queue {
            Queue::Payments => "payment",
            Queue::Registrations => "registration",
            Queue::Signatures => "signature",
        };
        format!("{subject}.{verb}")
    }
}

/// Whose requests a listing shows: one account's own, newest first, or every pending one in
/// the order they arrived (the staff queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Own { account_id: i64 },
    Pending,
}

#[cfg(feature = "storage")]
pub use storage::*;

#[cfg(feature = "storage")]
mod storage {
    use super::*;
    use crate::db::{now_ms, Db};
    use sqlx::AnyConnection;

    /// Claims the decision on request `id` of `queue` if it is still pending; returns the
    /// account it belongs to. A request already decided is a conflict naming its status.
    pub async fn decide(
        tx: &mut AnyConnection,
        queue: Queue,
        id: i64,
        staff_id: i64,
        decision: &Decision,
    ) -> Result<i64, Error> {
        let table = queue.table();
        let claimed = sqlx::query(&format!(
            "UPDATE {table} SET status = $1, reject_reason = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5 AND status = 'pending'"
        ))
        .bind(decision.status(queue))
        .bind(decision.reason())
        .bind(staff_id)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let (account_id, status): (i64, String) = sqlx::query_as(&format!(
            "SELECT account_id, status FROM {table} WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        if claimed == 0 {
            return Err(Error::Conflict(format!(
                "This {} was already {status}; nothing was changed.",
                queue.noun()
            )));
        }
        Ok(account_id)
    }

    /// A decision claimed by [`claim_decision`] in its open transaction: the decision's effects
    /// run on `tx`, then [`ClaimedDecision::commit`] adds the audit entry in the same
    /// transaction, so a decision and its record commit together or not at all.
    pub struct ClaimedDecision<'d> {
        pub tx: sqlx::Transaction<'static, sqlx::Any>,
        /// The account the request belongs to.
        pub account_id: i64,
        queue: Queue,
        staff_id: i64,
        decision: &'d Decision,
    }

    /// Opens the write transaction of a staff decision and claims request `id` of `queue`
    /// (see [`decide`]).
    pub async fn claim_decision<'d>(
        db: &Db,
        queue: Queue,
        id: i64,
        staff_id: i64,
        decision: &'d Decision,
    ) -> Result<ClaimedDecision<'d>, Error> {
        let mut tx = db.begin_write().await?;
        let account_id = decide(&mut tx, queue, id, staff_id, decision).await?;
        Ok(ClaimedDecision {
            tx,
            account_id,
            queue,
            staff_id,
            decision,
        })
    }

    impl ClaimedDecision<'_> {
        /// Records the decision in the audit log (`before` and `after` as the queue describes
        /// them) and commits.
        pub async fn commit(
            mut self,
            before: serde_json::Value,
            after: serde_json::Value,
        ) -> Result<(), Error> {
            crate::audit::record(
                &mut self.tx,
                self.staff_id,
                &self.decision.action(self.queue),
                Some(self.account_id),
                before,
                after,
            )
            .await?;
            self.tx.commit().await?;
            Ok(())
        }
    }

    /// Whether `account_id` has a request waiting in `queue`.
    pub async fn has_pending(
        conn: &mut AnyConnection,
        queue: Queue,
        account_id: i64,
    ) -> Result<bool, sqlx::Error> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {} WHERE account_id = $1 AND status = 'pending'",
            queue.table()
        ))
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(n > 0)
    }

    /// Requests of `queue` for `listing`. `select` is the queue's SELECT with its table
    /// aliased `r`; an account's own list is capped at its 50 latest.
    pub(super) async fn list<R, T>(
        db: &Db,
        select: &str,
        listing: Listing,
    ) -> Result<Vec<T>, sqlx::Error>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
        T: From<R>,
    {
        let rows: Vec<R> = match listing {
            Listing::Own { account_id } => {
                sqlx::query_as(&format!(
                    "{select} WHERE r.account_id = $1 ORDER BY r.id DESC LIMIT 50"
                ))
                .bind(account_id)
                .fetch_all(db.pool())
                .await?
            }
            Listing::Pending => {
                sqlx::query_as(&format!(
                    "{select} WHERE r.status = 'pending' ORDER BY r.id"
                ))
                .fetch_all(db.pool())
                .await?
            }
        };
        Ok(rows.into_iter().map(T::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_needs_a_reason_and_names_its_action() {
        assert!(Decision::new(false, "  ").is_err());
        let reject = Decision::new(false, " blurry scan ").expect("reason given");
        assert_eq!(reject.reason(), Some("blurry scan"));
        assert_eq!(reject.status(Queue::Payments), "rejected");
        assert_eq!(reject.action(Queue::Signatures), "signature.reject");
        let approve = Decision::new(true, "").expect("approval");
        assert_eq!(approve.status(Queue::Payments), "confirmed");
        assert_eq!(approve.status(Queue::Registrations), "approved");
        assert_eq!(approve.action(Queue::Payments), "payment.confirm");
    }
}
