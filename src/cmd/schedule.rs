//! `cc2cc schedule add|list|rm`: recurring messages, fired by `tick`, `watch` and `serve-mcp`.

use crate::bridge::{Draft, Name, Repeat, clock};
use crate::cli::{ScheduleAddArgs, ScheduleCommand};
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Output, one_line};

pub fn run(ctx: &Context, command: ScheduleCommand) -> Result<(), CliError> {
    match command {
        ScheduleCommand::Add(args) => add(ctx, args),
        ScheduleCommand::List => list(ctx),
        ScheduleCommand::Rm(args) => {
            ctx.bridge.remove_schedule(&args.id)?;
            Ok(())
        }
    }
}

fn add(ctx: &Context, args: ScheduleAddArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let to = Name::new(&args.to)?;
    let text = super::read_text(&args.text, ctx.bridge.max_size())?;
    let repeat = match (args.every, args.cron) {
        (Some(every), _) => Repeat::Every(every),
        (None, Some(cron)) => Repeat::Cron(cron),
        (None, None) => return Err(CliError::usage("give --every DURATION or --cron EXPR")),
    };
    let mut draft = Draft::new(to.as_str(), &text);
    draft.kind = args.kind;
    draft.priority = args.priority;
    draft.ttl = args.ttl.0;
    let schedule = ctx.bridge.add_schedule(&me, draft, &repeat)?;
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&serde_json::json!({"id": schedule.id, "to": schedule.to}))?;
    } else {
        out.line(&schedule.id)?;
    }
    Ok(out.flush()?)
}

fn list(ctx: &Context) -> Result<(), CliError> {
    let (schedules, problems) = ctx.bridge.schedules(clock::now());
    let mut out = Output::new(ctx.json);
    for info in &schedules {
        let s = &info.schedule;
        let next = info.next.map(clock::format);
        let last = info.last_fired.map(clock::format);
        if ctx.json {
            out.json_line(&serde_json::json!({
                "id": s.id,
                "from": s.from,
                "to": s.to,
                "every": s.every,
                "cron": s.cron,
                "type": s.kind,
                "priority": s.priority,
                "ttl": s.ttl,
                "created": s.created,
                "last_fired": last,
                "next": next,
                "text": s.text,
            }))?;
        } else {
            let rule = match (&s.every, &s.cron) {
                (Some(secs), _) => format!(
                    "every {}",
                    humantime::format_duration(std::time::Duration::from_secs(*secs))
                ),
                (None, Some(c)) => format!("cron {c}"),
                (None, None) => "no rule".into(),
            };
            out.line(&one_line(&format!(
                "{}  {} -> {}  {rule}  next {}  {}",
                s.id,
                s.from,
                s.to,
                next.as_deref().unwrap_or("never"),
                s.text
            )))?;
        }
    }
    out.flush()?;
    super::report_problems(&problems, &[]);
    Ok(())
}
