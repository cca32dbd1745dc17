using AgentSentinel.Otlp.Internal;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>
/// The canonical encoding hashed (FNV-1a) for structured tool arguments/results, so that both wire encodings give the
/// same fingerprint for the same value: every node is a tag byte then its content; strings and bytes are
/// length-prefixed (int32 LE); ints and doubles are 8 bytes LE (the double's IEEE bits).
/// <code>
/// string 's' len bytes | bool 'b' 0/1 | int 'i' int64 | double 'd' bits | bytes 'y' len bytes | empty 'n'
/// array '[' values... ']' | kvlist '{' ('k' len key, value)... '}'   (a missing value is 'n')
/// </code>
/// A top-level string is hashed as its raw UTF-8 bytes instead (no tag), which is what most instrumentations send.
/// </summary>
internal static class StructureHash
{
    public const byte StringTag = (byte)'s';
    public const byte BoolTag = (byte)'b';
    public const byte IntTag = (byte)'i';
    public const byte DoubleTag = (byte)'d';
    public const byte BytesTag = (byte)'y';
    public const byte EmptyTag = (byte)'n';
    public const byte ArrayStart = (byte)'[';
    public const byte ArrayEnd = (byte)']';
    public const byte ListStart = (byte)'{';
    public const byte ListEnd = (byte)'}';
    public const byte KeyTag = (byte)'k';

    public static void AppendScalar(ref Fnv1a64 hash, in AttributeValue value)
    {
        switch (value.Kind)
        {
            case AnyValueKind.String:
                hash.AppendBlock(StringTag, value.Utf8);
                break;
            case AnyValueKind.Bytes:
                hash.AppendBlock(BytesTag, value.Utf8);
                break;
            case AnyValueKind.Bool:
                hash.Append(BoolTag);
                hash.Append(value.Bool ? (byte)1 : (byte)0);
                break;
            case AnyValueKind.Int:
                hash.Append(IntTag);
                hash.AppendInt64(value.Int);
                break;
            case AnyValueKind.Double:
                hash.Append(DoubleTag);
                hash.AppendInt64(BitConverter.DoubleToInt64Bits(value.Double));
                break;
            default:
                hash.Append(EmptyTag);
                break;
        }
    }
}
