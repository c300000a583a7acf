using FaceSwap.Cli;

return await FaceSwapCli.RunAsync(args, Terminal.OfProcess());
