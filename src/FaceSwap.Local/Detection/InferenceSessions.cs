using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FaceSwap.Local;

/// <summary>How ONNX Runtime sessions are opened: CPU always, CUDA when asked for and present.</summary>
public sealed class InferenceSessions(bool preferCuda = false, int intraOpThreads = 0)
{
    /// <summary>True once a session actually got the CUDA execution provider.</summary>
    public bool CudaActive { get; private set; }
    public string? CudaUnavailableReason { get; private set; }

    public InferenceSession Open(string path)
    {
        var options = new SessionOptions
        {
            // Test-double graphs keep unused initializers (the emap): ORT warns about each one.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            IntraOpNumThreads = intraOpThreads,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (preferCuda)
        {
            // The CPU package has no CUDA provider; the GPU package may lack drivers. Either way, fall back.
            try
            {
                options.AppendExecutionProvider_CUDA();
                CudaActive = true;
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                CudaUnavailableReason = e.Message;
            }
        }
        return new InferenceSession(path, options);
    }
}

internal static class TensorNames
{
    public static string Describe(this IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        string.Join(", ", metadata.Select(p => $"{p.Key}[{string.Join(",", p.Value.Dimensions.Select(d => d < 0 ? "?" : d.ToString()))}]"));

    public static DenseTensor<float> Output(this IReadOnlyCollection<DisposableNamedOnnxValue> outputs, string name) =>
        (DenseTensor<float>)outputs.First(o => o.Name == name).AsTensor<float>();
}
