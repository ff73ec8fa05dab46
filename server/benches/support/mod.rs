//! What the benchmarks share.

/// Creates a fresh database named `{prefix}_{pid}` on the PostgreSQL
/// server `admin` points at; its URL.
pub async fn create_pg_database(admin: &str, prefix: &str) -> String {
    use sqlx::Connection;
    let name = format!("{prefix}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create the bench database");
    match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => admin.to_string(),
    }
}
