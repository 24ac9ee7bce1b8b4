#!/usr/bin/env bash
# The demo: sample data → a fresh data home → intake, a household file, search, dunning letters, the monthly
# report, a printed form scanned back in, the quarantine, verify, rebuild.
set -euo pipefail
DEMO_DIR="${1:-build/demo}"
HUDANG="$(pwd)/.venv/bin/hudang"
PY="$(pwd)/.venv/bin/python"
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
export HUDANG_HOME="$(cd "$DEMO_DIR" && pwd)/home"
SAMPLES="$DEMO_DIR/samples"

step() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }

step "生成示例数据 (sample data)"
"$PY" samples/make_samples.py "$SAMPLES" --forms 300 >/dev/null
ls "$SAMPLES"

step "hudang init"
"$HUDANG" init

step "导入房屋清单 (rosters)"
"$HUDANG" ingest "$SAMPLES"/房屋清单-*

step "接收表单 (ingest forms, ledgers, bad input)"
"$HUDANG" ingest "$SAMPLES" | tail -n 25

step "一户一档 (household file)"
HH="$("$PY" - "$HUDANG_HOME" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(f"{sys.argv[1]}/catalog.sqlite")
row = db.execute("SELECT estate || '/' || household FROM records WHERE household != '公共' "
                 "GROUP BY estate, household AND household NOT LIKE '商业街%' ORDER BY COUNT(DISTINCT form) DESC, COUNT(*) DESC LIMIT 1").fetchone()
print(row[0])
PYEOF
)"
"$HUDANG" household show "$HH"

step "全文检索 (search)"
"$HUDANG" search 漏水 --limit 5
"$HUDANG" search '"电梯" OR 噪音' --estate 金第花园 --from 2026-10-01 --limit 3
"$HUDANG" search 投诉人:王 --form 投诉 --limit 3

step "催缴函 (dunning letters, as of 2026-12-01)"
HUDANG_NOW=2026-12-01T09:00:00+08:00 "$HUDANG" letters dunning --as-of 2026-12-01
"$HUDANG" household summary "$HH"

step "客服接待月报表 (monthly report, 2026-10)"
"$HUDANG" report monthly 2026-10 --estate 金第花园

step "纸质表单：打印、填写、扫描、自动归档 (paper: print, fill, scan, file itself)"
BLANK="$("$HUDANG" forms blank 投诉处理单 --household "$HH" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["pdf"])')"
"$PY" samples/scanning.py "$BLANK" "$DEMO_DIR/扫描-投诉单.png" "编号=TS-DEMO-01" "投诉人*=周燕" \
    "投诉时间*=2026-11-20 10:15" "接报人*=李客服" "投诉内容*=楼道灯不亮，夜间出行不便" --tick 来电 --tick 重要 \
    --scribble 被投诉部门
"$HUDANG" ingest "$DEMO_DIR/扫描-投诉单.png"
"$HUDANG" review list
"$HUDANG" search 楼道灯 --limit 3

step "隔离区 (quarantine)"
"$HUDANG" quarantine list | head -n 40

step "校验档案 (verify)"
"$HUDANG" verify

step "重建目录 (rebuild)"
"$HUDANG" rebuild

printf '\n数据目录：%s\n' "$HUDANG_HOME"

step "网页界面 (web interface)"
DEMO_PASSWORD="户档演示-2026"
printf '%s\n' "$DEMO_PASSWORD" | "$HUDANG" users add 演示主管 --role 主管 --password-stdin
printf '%s\n' "$DEMO_PASSWORD" | "$HUDANG" users add 演示客服 --role 客服 --estate 金第花园 --password-stdin
"$HUDANG" users list
printf '\n启动网页界面（在本机浏览器打开 http://127.0.0.1:8080/ ，Ctrl+C 停止）：\n'
printf '  HUDANG_HOME=%q .venv/bin/hudang serve --port 8080\n' "$HUDANG_HOME"
printf '登录：演示主管 / %s（全部项目，可显示完整信息）；演示客服 / %s（仅金第花园）\n' "$DEMO_PASSWORD" "$DEMO_PASSWORD"
