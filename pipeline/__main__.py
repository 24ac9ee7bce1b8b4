from hudang.pipeline.cli import main

main()
