// The ERC-20 the EVM tests and the `evm` benchmark deploy, written for them and compiled
// with solc-js (the compiler Solidity developers use, as a library). Its revert reasons
// are plain strings, so a client shows them as they are written here.
import solc from 'solc';

export const TEST_TOKEN_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A minimal ERC-20: fixed supply minted to the deployer, transfers, allowances.
contract TestToken {
    string public name;
    string public symbol;
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint256 supply) {
        name = name_;
        symbol = symbol_;
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= value, "TestToken: allowance too small");
        allowance[from][msg.sender] = allowed - value;
        _move(from, to, value);
        return true;
    }

    function _move(address from, address to, uint256 value) private {
        require(to != address(0), "TestToken: transfer to the zero address");
        uint256 balance = balanceOf[from];
        require(balance >= value, "TestToken: transfer amount exceeds balance");
        unchecked {
            balanceOf[from] = balance - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
`;

export interface CompiledContract {
  /** The ABI, as ethers and viem take it. */
  readonly abi: readonly Record<string, unknown>[];
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: string;
}

interface SolcOutput {
  readonly errors?: readonly { severity: string; formattedMessage: string }[];
  readonly contracts: Record<string, Record<string, { abi: Record<string, unknown>[]; evm: { bytecode: { object: string } } }>>;
}

/**
 * Compiles the test token (a second or so: do it once per test file). The EVM version is
 * the node's hardfork (docs/ethereum.md), so no opcode the node lacks can appear.
 */
export function compileTestToken(): CompiledContract {
  const input = {
    language: 'Solidity',
    sources: { 'TestToken.sol': { content: TEST_TOKEN_SOURCE } },
    settings: { evmVersion: 'osaka', optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput;
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((error) => error.formattedMessage).join('\n')}`);
  const contract = output.contracts['TestToken.sol']?.TestToken;
  if (contract === undefined) throw new Error('solc produced no TestToken');
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}
