//! Reading an exported flow for import: which validation problems make a
//! file unfit to import. Must not repair a file; the editor does that with
//! [`tidy`](super::tidy) once it is in.

use crate::flow::doc::FlowDoc;

/// Problem codes that make a document unfit to import: it would lose
/// connections or steps on the way in.
const BROKEN: &[&str] = &[
    "too_large",
    "invalid_id",
    "duplicate_id",
    "dangling_edge",
    "unknown_port",
    "duplicate_connection",
    "dangling_trigger",
];

/// Reads an exported flow for import. Refuses, with every reason worded
/// for the merchant, a file that is not a flow or whose connections are
/// broken; a readable flow is returned even when validation finds problems
/// to fix in the editor.
pub fn read_import(json: &str) -> Result<FlowDoc, Vec<String>> {
    let doc = FlowDoc::from_json(json).map_err(|e| vec![e.to_string()])?;
    let report = crate::flow::validate::validate(&doc, None);
    let broken: Vec<String> = report
        .problems
        .iter()
        .filter(|p| BROKEN.contains(&p.code.as_str()))
        .map(|p| p.message.clone())
        .collect();
    if broken.is_empty() {
        Ok(doc)
    } else {
        Err(broken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_refuse_broken_files_and_accept_unfinished_flows() {
        let shop = crate::flow::templates::shop();
        assert_eq!(read_import(&shop.to_json()), Ok(shop));
        // Unfinished (no start) is fine: the editor shows the problem.
        let unfinished =
            r#"{"schema":1,"nodes":[{"id":"a","type":"message","settings":{"text":""}}]}"#;
        assert!(read_import(unfinished).is_ok());
        let dangling = r#"{"schema":1,"start":"a","nodes":[{"id":"a","type":"message","settings":{"text":"Hi"}}],
            "edges":[{"from":"a","port":"next","to":"ghost"}]}"#;
        let why = read_import(dangling).unwrap_err();
        assert!(why[0].contains("no longer exists"), "{why:?}");
        let why = read_import("this is not json").unwrap_err();
        assert!(
            why[0].starts_with("The flow document is not valid"),
            "{why:?}"
        );
        assert!(read_import(r#"{"schema":7}"#).unwrap_err()[0].contains("newer version"));
    }
}
