import Foundation
import RecolhaTesting
import Testing
@testable import Gzip
@testable import SyncClient

@Suite struct RetryPolicyTests {
    @Test(arguments: 1..<10)
    func backoffGrowsWithJitterUnderTheCap(attempt: Int) {
        var g = SeededRandom(seed: UInt64(attempt))
        let p = RetryPolicy(attempts: 10, baseDelay: 0.5, maxDelay: 30)
        for _ in 0..<200 {
            let d = p.delay(beforeAttempt: attempt, retryAfter: nil, using: &g)
            #expect(d >= 0 && d <= min(30, 0.5 * pow(2, Double(attempt - 1))))
        }
        #expect(p.delay(beforeAttempt: attempt, retryAfter: "7", using: &g) == 7)
    }

    @Test func onlyServerErrorsAndTooManyRequestsAreRetried() {
        #expect(RetryPolicy.retries(status: 500) && RetryPolicy.retries(status: 503) && RetryPolicy.retries(status: 429))
        #expect(!RetryPolicy.retries(status: 400) && !RetryPolicy.retries(status: 401) && !RetryPolicy.retries(status: 413))
    }
}

@Suite struct GzipTests {
    @Test func roundTrips() throws {
        let data = Data((0..<50_000).map { UInt8($0 % 7) })
        let z = try Gzip.compress(data)
        #expect(z.count < data.count / 10)
        #expect(try Gzip.decompress(z, limit: 1 << 20) == data)
    }

    @Test func refusesBombsAndGarbage() throws {
        let bomb = try Gzip.compress(Data(count: 10_000_000))
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(bomb, limit: 1_000_000) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Data("not gzip".utf8), limit: 100) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(bomb.prefix(bomb.count / 2), limit: 100_000_000) }
    }
}
