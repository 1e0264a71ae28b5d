/// tokend's version: what `tokend --version` prints and `/_tokend/health` answers. The
/// api-spec document's `info.version` moves with it.
package enum TokendVersion {
    package static let current = "0.4.0"
}
