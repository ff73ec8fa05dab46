//! HTTP request steps: the conversation waits for the result.

use super::*;

#[test]
fn http_request_waits_for_its_result() {
    let doc = flow(
        vec![
            node(
                "call",
                NodeKind::HttpRequest(HttpRequestSettings {
                    method: HttpMethod::Post,
                    url: "https://api.example/{{id}}".into(),
                    body: Some("{\"id\":\"{{id}}\"}".into()),
                    save_as: Some("reply".into()),
                }),
            ),
            end("ok", "Got {{reply}}"),
            end("err", "Failed"),
        ],
        vec![e("call", "ok", "ok"), e("call", "error", "err")],
    );
    let mut chat = Chat::new(doc.clone());
    chat.session.vars.insert("id".into(), "42".into());
    chat.send(Input::Start);
    let call = chat.last.iter().find_map(|e| match e {
        Effect::CallHttp {
            request_id,
            method,
            url,
            body,
        } => Some((request_id.clone(), *method, url.clone(), body.clone())),
        _ => None,
    });
    let (id, method, url, body) = call.unwrap();
    assert_eq!(method, HttpMethod::Post);
    assert_eq!(url, "https://api.example/42");
    assert_eq!(body.as_deref(), Some("{\"id\":\"42\"}"));
    assert_eq!(chat.session.status, Status::AwaitingHttp);
    chat.text("are you there?");
    assert!(chat.last.is_empty());
    chat.send(Input::HttpResult {
        request_id: "other".into(),
        status: 200,
        body: "x".into(),
    });
    assert!(
        chat.last.is_empty(),
        "a result for another request is ignored"
    );
    chat.send(Input::HttpResult {
        request_id: id,
        status: 200,
        body: "pong".into(),
    });
    assert_eq!(chat.said(), ["Got pong"]);

    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    chat.send(Input::Timeout);
    assert_eq!(chat.said(), ["Failed"]);
}
