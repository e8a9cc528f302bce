/// The release of Recolha these binaries are; `make dist` names the Debian
/// packages after it.
public enum Release {
    public static let version = "0.3.0"
}
