//! The committed `schema.graphql` is the schema the code serves, and every type and field in it
//! is described.

#[test]
fn committed_schema_matches_the_code() {
    let sdl = cluster_directory::graphql::build_schema().sdl();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists");
    assert!(
        committed.trim_end() == sdl.trim_end(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

#[test]
fn every_type_and_field_is_described() {
    let schema = cluster_directory::graphql::build_schema();
    let res = futures_lite_block(schema.execute(
        "{ __schema { types { name description kind fields { name description args { name description } } inputFields { name description } enumValues { name description } } } }",
    ));
    let json = serde_json::to_value(&res.data).expect("json");
    let mut missing = Vec::new();
    for t in json["__schema"]["types"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if t["description"].as_str().unwrap_or_default().is_empty() {
            missing.push(name.to_owned());
        }
        for key in ["fields", "inputFields", "enumValues"] {
            for f in t[key].as_array().into_iter().flatten() {
                if f["description"].as_str().unwrap_or_default().is_empty() {
                    missing.push(format!("{name}.{}", f["name"]));
                }
                for a in f["args"].as_array().into_iter().flatten() {
                    if a["description"].as_str().unwrap_or_default().is_empty() {
                        missing.push(format!("{name}.{}({})", f["name"], a["name"]));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}

fn futures_lite_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}
