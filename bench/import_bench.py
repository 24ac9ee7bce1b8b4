#!/usr/bin/env python3
"""Import benchmark (`make bench`): another system's room list and fee history brought in as an office would.

Figures are printed, never asserted. On a generated estate (BUILDINGS × 2 units × 30 floors × 4 rooms):
- `hudang ingest --dry-run` of the HC-style room list (资产信息 layout, owners beside rooms), then the real import;
- `hudang ingest` of the fee history (房屋缴费历史 layout: 房屋 as 1-1-1001, 12-month ranges as Excel serials),
  every row spread over its months, in rows/s and ledger months/s.

    .venv/bin/python bench/import_bench.py [--quick] [--buildings 10] [--json F]
"""

from __future__ import annotations

import json
import sys
import time

import common as c
import openpyxl


def main(argv: list[str] | None = None) -> None:
    p = c.parser(__doc__)
    p.add_argument("--buildings", type=int, default=10)
    args = c.parse(p, argv, "import", buildings=1)
    began = time.perf_counter()
    c.header("import bench", buildings=args.buildings)
    rooms = [(b, u, f * 100 + r) for b in range(1, args.buildings + 1) for u in (1, 2) for f in range(1, 31)
             for r in range(1, 5)]
    with c.work_dir("import", args.keep) as work:
        home = c.fresh_home(work / "home")
        room_file, fee_file = work / "金第花园房屋.xlsx", work / "金第花园缴费历史.xlsx"
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("资产信息")
        ws.append(["楼号", "单元", "房间", "楼层", "总层数", "是否有电梯", "房屋类型", "房屋户型", "建筑面积", "室内面积",
                   "租金", "房屋状态", "业主名称", "性别", "手机号", "身份证号", "业主类型"])
        for i, (b, u, n) in enumerate(rooms):
            ws.append([b, u, n, n // 100, 30, "有", 110, 10102, 94.56, 80.1, 0, 2001, f"业主{i}", "男",
                       13800000000 + i, "", 1001])
        wb.save(room_file)
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("房屋缴费历史")
        ws.append(["房屋", "收费项目", "缴费周期", "开始时间", "结束时间", "缴费时间", "应缴金额", "实缴金额", "收银员", "备注"])
        for b, u, n in rooms:
            ws.append([f"{b}-{u}-{n}", "物业服务费", 12, 45292, 45658, 45300, 1234.56, 1000, "张三", None])
        wb.save(fee_file)
        dry = c.timed(lambda: c.hudang(home.root, "ingest", "--dry-run", "--json", "--estate", "金第花园",
                                       str(room_file)))
        real = c.timed(lambda: c.hudang(home.root, "ingest", "--json", "--estate", "金第花园", str(room_file)))
        fees = c.timed(lambda: c.hudang(home.root, "ingest", "--json", str(fee_file)))
        fee_out = json.loads(fees[0].stdout)["outcomes"][0]
        room_out = json.loads(real[0].stdout)["outcomes"][0]
        if fee_out["status"] != "imported" or room_out["status"] != "imported":
            sys.exit(f"import failed: {room_out['status']} / {fee_out['status']}")
        table = c.Table([("rows", "rows", "d"), ("seconds", "seconds", ".1f"), ("rate", "rows/s", ".0f")])
        for name, took in (("dry run of the room list", dry[1]), ("room list + owners", real[1]),
                           ("fee history (12 months a row)", fees[1])):
            table.add(name, rows=len(rooms), seconds=took, rate=len(rooms) / took)
        table.print()
        print(f"ledger months written: {fee_out['ledger_months']} ({fee_out['ledger_months'] / fees[1]:.0f}/s); "
              f"registrations: {room_out.get('registrations_new')}")
        c.write_json(args.json, {"rooms": len(rooms), "dry_run_s": dry[1], "rooms_s": real[1], "fees_s": fees[1],
                                 "ledger_months": fee_out["ledger_months"]}, began)


if __name__ == "__main__":
    main()
