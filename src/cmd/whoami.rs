//! `cc2cc whoami`: the resolved identity, the bridge directory and who is online.

use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context) -> Result<(), CliError> {
    let me = ctx.me()?;
    let who = ctx.bridge.whoami(&me);
    let online: Vec<&str> = who.online_agents.iter().map(|n| n.as_str()).collect();
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&serde_json::json!({
            "name": who.name.as_str(),
            "online": who.online,
            "online_since": who.online_since,
            "bridge_dir": who.bridge_dir,
            "online_agents": online,
        }))?;
    } else {
        let state = if who.online { "online" } else { "offline" };
        out.line(&format!("name:    {} ({state})", who.name))?;
        out.line(&format!("bridge:  {}", who.bridge_dir.display()))?;
        let list = if online.is_empty() {
            "nobody".to_owned()
        } else {
            online.join(", ")
        };
        out.line(&format!("online:  {list}"))?;
    }
    Ok(out.flush()?)
}
