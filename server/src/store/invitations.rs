//! Invitations to join a workspace. An owner invites an address with a
//! role; the member joins by accepting while signed in with that address.
//! This is the only way into another person's workspace: there is no
//! statement that adds a member by email directly.
//!
//! Only the SHA-256 of a link's secret is stored. An address has at most
//! one pending invitation per workspace (a partial unique index); inviting
//! it again refreshes that row. Closing an invitation is one conditional
//! `UPDATE … WHERE status = 'pending'`, so two clicks on one link cannot
//! both use it.

use app::model::Role;
use sqlx::FromRow;

use super::Workspace;
use super::{
    InvitationId, Result, SqlTx, Store, StoreError, UserId, WorkspaceId, conflict_on_unique, now_ms,
};
use crate::store::MembershipRow;

/// An invitation as stored, with its workspace's name and the inviter's
/// email.
#[derive(Debug, Clone, FromRow)]
pub struct InvitationRow {
    /// Id.
    pub id: InvitationId,
    /// The workspace it opens.
    pub workspace_id: WorkspaceId,
    /// Its name.
    pub workspace_name: String,
    /// The invited address, normalised.
    pub email: String,
    /// The role to join with, as stored.
    pub role: String,
    /// Who invited (their email), when known.
    pub invited_by: Option<String>,
    /// Sent, or last sent again.
    pub created_at: i64,
    /// The link stops working at this time.
    pub expires_at: i64,
    /// `pending`, `accepted`, `declined` or `revoked`.
    pub status: String,
}

impl InvitationRow {
    /// The parsed role; an unknown value (impossible under the CHECK
    /// constraint) reads as the weakest role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }
}

/// A new or refreshed invitation.
#[derive(Debug, Clone)]
pub struct NewInvitation<'a> {
    /// The address, normalised (`Email::parse`).
    pub email: &'a str,
    /// The role to join with.
    pub role: Role,
    /// SHA-256 of the link's secret.
    pub token_hash: &'a str,
    /// The inviting user; `None` for an API token.
    pub invited_by: Option<UserId>,
    /// When the link stops working.
    pub expires_at: i64,
}

const COLUMNS: &str = "i.id, i.workspace_id, w.name AS workspace_name, i.email, i.role, \
     u.email AS invited_by, i.created_at, i.expires_at, i.status";
const FROM: &str = "invitations i JOIN workspaces w ON w.id = i.workspace_id \
     LEFT JOIN users u ON u.id = i.invited_by";

impl Store {
    /// Finds an invitation, in any state, by the SHA-256 of its secret. Like
    /// [`Store::token_by_hash`], a global lookup: the secret is the key.
    pub async fn invitation_by_hash(&self, token_hash: &str) -> Result<Option<InvitationRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE i.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.readers)
        .await?)
    }

    /// Accepts a pending, unexpired invitation for `email` as `user`, all or
    /// nothing: the invitation is used, the user becomes a member with its
    /// role, and the workspace becomes the one they open at login.
    ///
    /// `Ok(None)` when the invitation is no longer pending, has expired or
    /// is for another address (nothing is written; read it again to say
    /// why). `Conflict("member")` when the user is already a member; the
    /// invitation then stays pending.
    pub async fn accept_invitation(
        &self,
        id: InvitationId,
        user: UserId,
        email: &str,
    ) -> Result<Option<MembershipRow>> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let claimed: Option<(WorkspaceId, String)> = sqlx::query_as(
            "UPDATE invitations SET status = 'accepted', closed_at = $1, accepted_by = $2 \
             WHERE id = $3 AND email = $4 AND status = 'pending' AND expires_at > $1 \
             RETURNING workspace_id, role",
        )
        .bind(now)
        .bind(user)
        .bind(id)
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((ws, role)) = claimed else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(ws)
        .bind(user)
        .bind(&role)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "member"))?;
        sqlx::query("UPDATE users SET last_workspace_id = $1 WHERE id = $2")
            .bind(ws)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let joined = sqlx::query_as(
            "SELECT m.workspace_id, w.name AS workspace_name, m.role \
             FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.user_id = $1 AND m.workspace_id = $2",
        )
        .bind(user)
        .bind(ws)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(joined))
    }

    /// Declines a pending invitation for `email`; `false` when it is no
    /// longer pending or is for another address.
    pub async fn decline_invitation(&self, id: InvitationId, email: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET status = 'declined', closed_at = $1 \
             WHERE id = $2 AND email = $3 AND status = 'pending'",
        )
        .bind(now_ms())
        .bind(id)
        .bind(email)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Workspace<'_> {
    /// Invites an address, or refreshes its pending invitation (new secret,
    /// role, inviter and expiry; the old link stops working).
    /// `Conflict("member")` when the address already belongs to a member.
    pub async fn invite(self, new: &NewInvitation<'_>) -> Result<InvitationRow> {
        let ws = self.ws;
        let now = now_ms();
        let mut tx = self.begin().await?;
        // One inviter at a time per workspace, so two invitations of one
        // address meet the refresh below instead of the unique index.
        self.lock_workspace(&mut tx, ws).await?;
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.workspace_id = $1 AND u.email = $2",
        )
        .bind(ws)
        .bind(new.email)
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_some() {
            return Err(StoreError::Conflict("member"));
        }
        let refreshed: Option<InvitationId> = sqlx::query_scalar(
            "UPDATE invitations SET role = $1, token_hash = $2, invited_by = $3, \
             created_at = $4, expires_at = $5 \
             WHERE workspace_id = $6 AND email = $7 AND status = 'pending' RETURNING id",
        )
        .bind(new.role.as_str())
        .bind(new.token_hash)
        .bind(new.invited_by)
        .bind(now)
        .bind(new.expires_at)
        .bind(ws)
        .bind(new.email)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "invitation"))?;
        let id = match refreshed {
            Some(id) => id,
            None => sqlx::query_scalar(
                "INSERT INTO invitations \
                 (workspace_id, email, role, token_hash, invited_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(ws)
            .bind(new.email)
            .bind(new.role.as_str())
            .bind(new.token_hash)
            .bind(new.invited_by)
            .bind(now)
            .bind(new.expires_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, "invitation"))?,
        };
        let row = invitation(&mut tx, ws, id).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The workspace's pending invitations (expired ones too, until they
    /// are sent again or revoked), by address.
    pub async fn invitations(self) -> Result<Vec<InvitationRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM {FROM} \
             WHERE i.workspace_id = $1 AND i.status = 'pending' ORDER BY i.email"
        ))
        .bind(ws)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Revokes a pending invitation, so its link stops working; `false`
    /// when the workspace has no such pending invitation.
    pub async fn revoke_invitation(self, id: InvitationId) -> Result<bool> {
        let ws = self.ws;
        let done = sqlx::query(
            "UPDATE invitations SET status = 'revoked', closed_at = $1 \
             WHERE id = $2 AND workspace_id = $3 AND status = 'pending'",
        )
        .bind(now_ms())
        .bind(id)
        .bind(ws)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

async fn invitation(tx: &mut SqlTx, ws: WorkspaceId, id: InvitationId) -> Result<InvitationRow> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE i.workspace_id = $1 AND i.id = $2"
    ))
    .bind(ws)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?)
}
