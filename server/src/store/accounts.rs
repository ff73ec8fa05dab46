//! Users, workspaces, memberships and API tokens. Members join another
//! person's workspace only through an invitation (`invitations.rs`).

use app::model::Role;
use sqlx::FromRow;

use super::Workspace;
use super::{
    Result, SqlTx, Store, StoreError, TokenId, UserId, WorkspaceId, conflict_on_unique, now_ms,
};

/// A user as stored.
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    /// Id.
    pub id: UserId,
    /// Normalised email.
    pub email: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// The workspace opened at login, when still a member.
    pub last_workspace_id: Option<WorkspaceId>,
}

/// A user's membership, with the workspace's name.
#[derive(Debug, Clone, FromRow)]
pub struct MembershipRow {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// Its name.
    pub workspace_name: String,
    /// The role, as stored (`owner`, `editor`, `viewer`).
    pub role: String,
}

impl MembershipRow {
    /// The parsed role; an unknown value (impossible under the CHECK
    /// constraint) reads as the weakest role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }
}

/// A member of a workspace.
#[derive(Debug, Clone, FromRow)]
pub struct MemberRow {
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their role.
    pub role: String,
    /// Joined at.
    pub created_at: i64,
}

/// An API token as listed (never the secret).
#[derive(Debug, Clone, FromRow)]
pub struct TokenRow {
    /// Id.
    pub id: TokenId,
    /// Display name.
    pub name: String,
    /// Role it acts with.
    pub role: String,
    /// First characters of the secret.
    pub prefix: String,
    /// Created at.
    pub created_at: i64,
    /// Last used at.
    pub last_used_at: Option<i64>,
}

/// What a bearer token authenticates as.
#[derive(Debug, Clone, FromRow)]
pub struct TokenAuthRow {
    /// The token.
    pub id: TokenId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The workspace's name.
    pub workspace_name: String,
    /// The role it acts with.
    pub role: String,
    /// When it was last used.
    pub last_used_at: Option<i64>,
}

/// Everything a sign-up writes, in one transaction.
#[derive(Debug, Clone)]
pub struct NewSignup<'a> {
    /// Normalised email.
    pub email: &'a str,
    /// argon2id hash of the password.
    pub password_hash: &'a str,
    /// Name of the first workspace.
    pub workspace_name: &'a str,
    /// SHA-256 of the first API token.
    pub token_hash: &'a str,
    /// Its display prefix.
    pub token_prefix: &'a str,
}

const TOKEN_COLUMNS: &str = "id, name, role, prefix, created_at, last_used_at";

impl Store {
    /// Creates a user, their workspace (as owner) and an owner API token, all
    /// or nothing. A taken email is `Conflict("email")`.
    pub async fn create_signup(&self, s: &NewSignup<'_>) -> Result<(UserId, WorkspaceId, TokenId)> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let ws: WorkspaceId = sqlx::query_scalar(
            "INSERT INTO workspaces (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(s.workspace_name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let user: UserId = sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, last_workspace_id, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(s.email)
        .bind(s.password_hash)
        .bind(ws)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "email"))?;
        insert_membership(&mut tx, ws, user, Role::Owner, now).await?;
        let token = insert_token(
            &mut tx,
            ws,
            "Created at sign-up",
            Role::Owner,
            s.token_hash,
            s.token_prefix,
            Some(user),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((user, ws, token))
    }

    /// Finds a user by normalised email.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(
            "SELECT id, email, password_hash, last_workspace_id FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.readers)
        .await?)
    }

    /// Finds a user by id.
    pub async fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(
            "SELECT id, email, password_hash, last_workspace_id FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.readers)
        .await?)
    }

    /// Remembers the workspace a user acts in, for their next login.
    pub async fn set_last_workspace(&self, user: UserId, ws: WorkspaceId) -> Result<()> {
        sqlx::query("UPDATE users SET last_workspace_id = $1 WHERE id = $2")
            .bind(ws)
            .bind(user)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The user's membership of one workspace, if any.
    pub async fn membership(&self, user: UserId, ws: WorkspaceId) -> Result<Option<MembershipRow>> {
        Ok(sqlx::query_as(
            "SELECT m.workspace_id, w.name AS workspace_name, m.role \
             FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.user_id = $1 AND m.workspace_id = $2",
        )
        .bind(user)
        .bind(ws)
        .fetch_optional(&self.readers)
        .await?)
    }

    /// Every workspace the user belongs to, by name.
    pub async fn memberships(&self, user: UserId) -> Result<Vec<MembershipRow>> {
        Ok(sqlx::query_as(
            "SELECT m.workspace_id, w.name AS workspace_name, m.role \
             FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.user_id = $1 ORDER BY w.name, w.id",
        )
        .bind(user)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Creates a workspace owned by `user`.
    pub async fn create_workspace(&self, user: UserId, name: &str) -> Result<WorkspaceId> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let ws: WorkspaceId = sqlx::query_scalar(
            "INSERT INTO workspaces (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_membership(&mut tx, ws, user, Role::Owner, now).await?;
        tx.commit().await?;
        Ok(ws)
    }

    /// Looks up a live token by the SHA-256 of its secret. This is the one
    /// global lookup of tenant data: it is how a request finds its tenant.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenAuthRow>> {
        Ok(sqlx::query_as(
            "SELECT t.id, t.workspace_id, w.name AS workspace_name, t.role, t.last_used_at \
             FROM api_tokens t JOIN workspaces w ON w.id = t.workspace_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.readers)
        .await?)
    }
}

impl Workspace<'_> {
    /// The members of a workspace, by email.
    pub async fn members(self) -> Result<Vec<MemberRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(
            "SELECT m.user_id, u.email, m.role, m.created_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.workspace_id = $1 ORDER BY u.email",
        )
        .bind(ws)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Changes a member's role. `Ok(false)` when they are not a member;
    /// `Conflict("last_owner")` when it would leave the workspace without an
    /// owner.
    pub async fn set_member_role(self, user: UserId, role: Role) -> Result<bool> {
        let ws = self.ws;
        let mut tx = self.begin().await?;
        self.lock_workspace(&mut tx, ws).await?;
        let Some(current) = member_role(&mut tx, ws, user).await? else {
            return Ok(false);
        };
        if current == Role::Owner && role != Role::Owner && owner_count(&mut tx, ws).await? <= 1 {
            return Err(StoreError::Conflict("last_owner"));
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(ws)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes a member. `Ok(false)` when they are not a member;
    /// `Conflict("last_owner")` when they are the only owner.
    pub async fn remove_member(self, user: UserId) -> Result<bool> {
        let ws = self.ws;
        let mut tx = self.begin().await?;
        self.lock_workspace(&mut tx, ws).await?;
        let Some(current) = member_role(&mut tx, ws, user).await? else {
            return Ok(false);
        };
        if current == Role::Owner && owner_count(&mut tx, ws).await? <= 1 {
            return Err(StoreError::Conflict("last_owner"));
        }
        sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stores a new API token (its hash only).
    pub async fn create_token(
        self,
        name: &str,
        role: Role,
        token_hash: &str,
        prefix: &str,
        created_by: Option<UserId>,
    ) -> Result<TokenRow> {
        let ws = self.ws;
        let mut tx = self.begin().await?;
        let id = insert_token(
            &mut tx,
            ws,
            name,
            role,
            token_hash,
            prefix,
            created_by,
            now_ms(),
        )
        .await?;
        let row = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(ws)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The workspace's tokens that are not revoked, newest first.
    pub async fn tokens(self) -> Result<Vec<TokenRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens \
             WHERE workspace_id = $1 AND revoked_at IS NULL ORDER BY id DESC"
        ))
        .bind(ws)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Revokes a token; `false` when the workspace has no such live token.
    pub async fn revoke_token(self, id: TokenId) -> Result<bool> {
        let ws = self.ws;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 \
             WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .bind(ws)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that a token was used.
    pub async fn touch_token(self, id: TokenId) -> Result<()> {
        let ws = self.ws;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND workspace_id = $3")
            .bind(now_ms())
            .bind(id)
            .bind(ws)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}

async fn insert_membership(
    tx: &mut SqlTx,
    ws: WorkspaceId,
    user: UserId,
    role: Role,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(ws)
    .bind(user)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[expect(
    clippy::too_many_arguments,
    reason = "each argument is one column of the row it writes"
)]
async fn insert_token(
    tx: &mut SqlTx,
    ws: WorkspaceId,
    name: &str,
    role: Role,
    token_hash: &str,
    prefix: &str,
    created_by: Option<UserId>,
    now: i64,
) -> Result<TokenId> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (workspace_id, name, role, token_hash, prefix, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(ws)
    .bind(name)
    .bind(role.as_str())
    .bind(token_hash)
    .bind(prefix)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| conflict_on_unique(e, "token"))
}

async fn member_role(tx: &mut SqlTx, ws: WorkspaceId, user: UserId) -> Result<Option<Role>> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws)
            .bind(user)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(role.as_deref().and_then(Role::parse))
}

async fn owner_count(tx: &mut SqlTx, ws: WorkspaceId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner'",
    )
    .bind(ws)
    .fetch_one(&mut **tx)
    .await?)
}
