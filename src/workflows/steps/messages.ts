/** What went wrong, through the failure's causes ("activity timeout: Docker engine unreachable"), without SDK wrappers. */
export function messageOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (
      !/^(Activity task failed|Child Workflow execution failed|Workflow execution failed)$/.test(e.message) &&
      !parts.includes(e.message)
    )
      parts.push(e.message);
  }
  return parts.join(': ') || String(err);
}
